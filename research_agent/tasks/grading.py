"""Grade a solution's predictions against a task's held-out labels, outside any sandbox."""

from __future__ import annotations

import importlib.util
import inspect
import tempfile
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from research_agent.solutions.workspace_files import (
    WorkspaceFileError,
    check,
    load_array,
    read_bytes,
)
from research_agent.tasks.spec import TaskFolder

MAX_PREDICTION_BYTES = 64 * 2**20
PREDICTIONS = ("val_predictions.npy", "test_predictions.npy")


@cache
def _evaluator(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"task_evaluator_{abs(hash(path))}", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load the evaluator {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def check_outputs(workspace: Path, names: tuple[str, ...] = PREDICTIONS) -> str | None:
    """Why one of the output files ``names`` in ``workspace`` will not be read back (a link, a
    FIFO, over the size cap: see :mod:`research_agent.solutions.workspace_files`), or None. A
    node is graded on its validation output, but its test output is read after the search:
    checking it now makes a node that planted a link there buggy instead of chosen."""
    for name in names:
        try:
            check(workspace, name, MAX_PREDICTION_BYTES)
        except WorkspaceFileError as exc:
            return str(exc)
    return None


def grade(
    task: TaskFolder, predictions: Path, split: str, exec_time: float | None = None
) -> dict[str, Any]:
    """The evaluation JSON of ``predictions`` on ``split`` ("val" or "test"), with "error" set
    instead of "score" when the predictions are missing or invalid. ``exec_time`` (the run's
    wall time) goes to evaluators that take it (timed tasks such as the speedrun). A task with
    its own ``grader`` grades the submission found beside ``predictions`` (its workspace).

    The predictions are read as a regular file inside their workspace (no links, no FIFOs, at
    most ``MAX_PREDICTION_BYTES``) and the evaluator gets a private copy of them; a workspace
    whose other prediction file would be refused is an error as well."""
    if task.grader is not None:
        return task.grader.grade(predictions.parent, split)
    workspace = predictions.parent
    try:
        data = read_bytes(workspace, predictions.name, MAX_PREDICTION_BYTES)
    except WorkspaceFileError as exc:
        return {"error": str(exc)}
    refused = check_outputs(workspace)
    if refused is not None:
        return {"error": refused}
    labels = task.private_dir / f"{split}_labels.npy"
    try:
        evaluator = _evaluator(task.evaluator).evaluate
        timed = exec_time is not None and "exec_time" in inspect.signature(evaluator).parameters
        extra = {"exec_time": exec_time} if timed else {}
        with tempfile.TemporaryDirectory(prefix="grading-") as tmp:
            private = Path(tmp) / predictions.name
            private.write_bytes(data)
            result = dict(evaluator(private, labels, task.spec.metric, **extra))
        result["score"] = float(result["score"])
    except Exception as exc:  # a malformed predictions file is the solution's bug
        return {"error": f"grading {predictions.name} failed: {type(exc).__name__}: {exc}"}
    return result


def gain_over_baseline(
    task: TaskFolder, workspace: Path, split: str = "val", resamples: int = 1000, seed: int = 0
) -> dict[str, Any] | None:
    """How much better the predictions in ``workspace`` score on ``split`` than the task's
    baseline run (positive is better, in the metric's units), with a paired bootstrap 95%
    interval over the split's samples: ``{"gain": g, "ci95": [low, high]}``.

    None where the task cannot tell: no baseline run or predictions, or an evaluator without
    per-sample metrics (``METRICS``: the built-in tabular tasks have them; the controller task,
    scored by episodes, and external graders do not)."""
    if task.grader is not None:
        return None
    metric = getattr(_evaluator(task.evaluator), "METRICS", {}).get(task.spec.metric)
    name = f"{split}_predictions.npy"
    paths = [workspace / name, task.baseline_run / "workspace" / name]
    labels_path = task.private_dir / f"{split}_labels.npy"
    if metric is None or not labels_path.is_file():
        return None
    try:
        ours, theirs = (load_array(p.parent, p.name, MAX_PREDICTION_BYTES) for p in paths)
    except WorkspaceFileError:
        return None
    labels = np.load(labels_path, allow_pickle=False)
    if ours.shape != labels.shape or theirs.shape != labels.shape:
        return None

    def gain(rows: np.ndarray | slice) -> float:
        signed = task.spec.signed
        return signed(metric(ours[rows], labels[rows])) - signed(metric(theirs[rows], labels[rows]))

    rng = np.random.default_rng(seed)
    draws = [gain(rng.integers(0, len(labels), len(labels))) for _ in range(resamples)]
    low, high = np.quantile(draws, [0.025, 0.975])
    return {"gain": gain(slice(None)), "ci95": [float(low), float(high)]}
