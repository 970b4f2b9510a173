"""Tasks in other benchmarks' layouts, named ``<layout>:<path>`` (MLGym, MLE-bench)."""

from __future__ import annotations

from pathlib import Path

from research_agent.tasks.external import ExternalTaskError
from research_agent.tasks.spec import Task

LAYOUTS = ("mlgym", "mlebench")


def is_external(task: str) -> bool:
    """Whether ``task`` names a task in another benchmark's layout (``<layout>:<path>``)."""
    return task.split(":", 1)[0] in LAYOUTS and ":" in task


def load_external(task: str, cache: Path) -> Task:
    """The task ``mlgym:<task config yaml>`` or ``mlebench:<competition folder>`` (views and
    cached baseline scores go under ``cache``)."""
    layout, _, path = task.partition(":")
    if layout == "mlgym":  # each layout's module is imported only when a task of it is loaded
        from research_agent.tasks.mlgym import load_mlgym

        return load_mlgym(Path(path).expanduser(), cache)
    if layout == "mlebench":
        from research_agent.tasks.mlebench import load_mlebench

        return load_mlebench(Path(path).expanduser(), cache)
    raise ExternalTaskError(f"unknown task layout {layout!r} in {task!r}; known: {LAYOUTS}")
