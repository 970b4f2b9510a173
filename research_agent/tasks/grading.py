"""Grade a solution's predictions against a task's held-out labels, outside any sandbox."""

from __future__ import annotations

import importlib.util
import inspect
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from research_agent.tasks.spec import Task

MAX_PREDICTION_BYTES = 64 * 2**20


@cache
def _evaluator(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"task_evaluator_{abs(hash(path))}", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load the evaluator {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def grade(
    task: Task, predictions: Path, split: str, exec_time: float | None = None
) -> dict[str, Any]:
    """The evaluation JSON of ``predictions`` on ``split`` ("val" or "test"), with "error" set
    instead of "score" when the predictions are missing or invalid. ``exec_time`` (the run's
    wall time) goes to evaluators that take it (timed tasks such as the speedrun). A task with
    its own ``grader`` grades the submission found beside ``predictions`` (its workspace)."""
    if task.grader is not None:
        return task.grader.grade(predictions.parent, split)
    if not predictions.is_file() or predictions.is_symlink():
        return {"error": f"no {predictions.name} was written"}
    if predictions.stat().st_size > MAX_PREDICTION_BYTES:
        return {"error": f"{predictions.name} is larger than {MAX_PREDICTION_BYTES} bytes"}
    labels = task.private_dir / f"{split}_labels.npy"
    try:
        evaluator = _evaluator(task.evaluator).evaluate
        timed = exec_time is not None and "exec_time" in inspect.signature(evaluator).parameters
        extra = {"exec_time": exec_time} if timed else {}
        result = dict(evaluator(predictions, labels, task.spec.metric, **extra))
        result["score"] = float(result["score"])
    except Exception as exc:  # a malformed predictions file is the solution's bug
        return {"error": f"grading {predictions.name} failed: {type(exc).__name__}: {exc}"}
    return result


def gain_over_baseline(
    task: Task, workspace: Path, split: str = "val", resamples: int = 1000, seed: int = 0
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
    if metric is None or not all(p.is_file() for p in [*paths, labels_path]):
        return None
    labels = np.load(labels_path, allow_pickle=False)
    ours, theirs = (np.load(p, allow_pickle=False) for p in paths)
    if ours.shape != labels.shape or theirs.shape != labels.shape:
        return None

    def gain(rows: np.ndarray | slice) -> float:
        signed = task.spec.signed
        return signed(metric(ours[rows], labels[rows])) - signed(metric(theirs[rows], labels[rows]))

    rng = np.random.default_rng(seed)
    draws = [gain(rng.integers(0, len(labels), len(labels))) for _ in range(resamples)]
    low, high = np.quantile(draws, [0.025, 0.975])
    return {"gain": gain(slice(None)), "ci95": [float(low), float(high)]}
