"""Grade a solution's predictions against a task's held-out labels, outside any sandbox."""

from __future__ import annotations

import importlib.util
import inspect
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

from research_agent.tasks.spec import Task

MAX_PREDICTION_BYTES = 64 * 2**20


@cache
def _evaluator(path: Path) -> Callable[..., dict[str, Any]]:
    spec = importlib.util.spec_from_file_location(f"task_evaluator_{abs(hash(path))}", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load the evaluator {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.evaluate


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
        evaluator = _evaluator(task.evaluator)
        timed = exec_time is not None and "exec_time" in inspect.signature(evaluator).parameters
        extra = {"exec_time": exec_time} if timed else {}
        result = dict(evaluator(predictions, labels, task.spec.metric, **extra))
        result["score"] = float(result["score"])
    except Exception as exc:  # a malformed predictions file is the solution's bug
        return {"error": f"grading {predictions.name} failed: {type(exc).__name__}: {exc}"}
    return result
