"""Task sources: where the task a run names comes from, registered by prefix.

A source is a class registered with :func:`register_task_source` (habitat-lab's
``registry.register_*`` is the model): the built-in suite (``builtin``), the speedrun chain
(``speedrun``) and other benchmarks' layouts (``mlgym``, ``mlebench``). A task name
``<prefix>:<rest>`` goes to the source of that prefix (``mlgym:<task config yaml>``,
``builtin:wine``); a bare name to the source that claims it (``wine``, ``speedrun_1``); any
other name is the path of a task folder.

Preparing a task may run its starter solution (to store the baseline's score), which is the
execution layer's job: the caller passes that in as a :class:`SolutionRunner` (the research
run passes :func:`research_agent.execution.execute.execute`), so the tasks never import the
layer above them.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import ClassVar, Protocol

from research_agent.tasks.spec import TaskFolder


class SolutionRun(Protocol):
    """What a solution's run reports: its graded validation score (None: it failed) and why
    it failed."""

    score: float | None
    error: str | None


class SolutionRunner(Protocol):
    """Runs ``code`` on a task in the sandbox, in ``node_dir/workspace``, and grades it."""

    def __call__(self, task: TaskFolder, code: str, node_dir: Path) -> SolutionRun: ...


class TaskSource(Protocol):
    """One kind of task: how its names look and how a named task is loaded."""

    prefix: ClassVar[str]
    usage: ClassVar[str]  # how its tasks are named, for the list of what there is

    def claims(self, name: str) -> bool:
        """Whether the bare ``name`` (no ``<prefix>:``) names a task of this source."""
        ...

    def check(self, name: str) -> None:
        """Raise :class:`KeyError` (its message naming what is valid) if ``name`` cannot name a
        task of this source; cheap: prepares nothing."""
        ...

    def load(self, name: str, cache: Path, runner: SolutionRunner) -> TaskFolder:
        """The task folder of ``name``, prepared under ``cache`` on first use (``runner``
        runs its starter when its baseline score is measured)."""
        ...


SOURCES: dict[str, TaskSource] = {}


def register_task_source(cls: type[TaskSource]) -> type[TaskSource]:
    """Class decorator: register a task source under its ``prefix``."""
    if cls.prefix in SOURCES:
        raise ValueError(f"a task source is registered for {cls.prefix!r} already")
    SOURCES[cls.prefix] = cls()
    return cls


def find_source(name: str) -> tuple[TaskSource, str] | None:
    """The source of the task ``name`` and the name it goes by there, or None (a folder)."""
    prefix, colon, rest = name.partition(":")
    if colon and prefix in SOURCES:
        return SOURCES[prefix], rest
    for source in SOURCES.values():
        if source.claims(name):
            return source, name
    return None


def default_cache() -> Path:
    """``$RESEARCH_TASKS_DIR`` or ``~/.cache/embodied-platform/research_tasks``."""
    env = os.environ.get("RESEARCH_TASKS_DIR")
    return Path(env) if env else Path.home() / ".cache" / "embodied-platform" / "research_tasks"


def load_task(name: str, cache: Path | None = None, *, runner: SolutionRunner) -> TaskFolder:
    """The task ``name`` (see the module's docstring), prepared under ``cache`` (default:
    :func:`default_cache`) on first use; ``runner`` runs its starter solution then."""
    found = find_source(name)
    if found is None:
        return TaskFolder.load(name)
    source, rest = found
    return source.load(rest, cache or default_cache(), runner)


def starter_score(runner: SolutionRunner, task: TaskFolder) -> SolutionRun:
    """The run of ``task``'s starter solution (its workspace stays in ``task.baseline_run``)."""
    return runner(task, task.starter.read_text(), task.baseline_run)
