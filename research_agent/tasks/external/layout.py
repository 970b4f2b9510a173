"""An external layout: another benchmark's way of writing a task, as one class.

A layout reads a task from its own files (:meth:`ExternalLayout.read`), writes the public view
the sandbox sees (:meth:`~ExternalLayout.write_view`) and grades a workspace with the task's own
grader (:meth:`~ExternalLayout.grader`). :class:`ExternalLayout` makes it a task source
(``<prefix>:<path>``): the view is built under the cache, rebuilt when the task's files change
(:meth:`~ExternalLayout.sources`), and the starter's validation score, run with the caller's
runner, is its baseline.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any, ClassVar

from research_agent.tasks.external.view import build_view, signature, view_folder
from research_agent.tasks.sources import SolutionRunner, starter_score
from research_agent.tasks.spec import TaskFolder, TaskGrader, TaskSpec

log = logging.getLogger(__name__)


class ExternalLayout(ABC):
    """A benchmark's task layout as a task source named ``<prefix>:<path>``; ``spec_type``: the
    spec its ``task.yaml`` is read back as (its medal rule)."""

    prefix: ClassVar[str]
    usage: ClassVar[str]
    spec_type: ClassVar[type[TaskSpec]] = TaskSpec

    @abstractmethod
    def read(self, path: Path) -> Any:
        """The task at ``path`` in this layout (raises naming the file and key that is wrong)."""

    @abstractmethod
    def identity(self, task: Any) -> tuple[str, Path]:
        """The task's id and the file or folder it was read from (which name its view)."""

    @abstractmethod
    def sources(self, task: Any) -> list[Path]:
        """The files (and folders) whose change rebuilds the task's view."""

    @abstractmethod
    def write_view(self, task: Any, staged: Path) -> TaskSpec:
        """Fill ``staged/public``, ``staged/private`` (the validation answers) and
        ``staged/starter``; the task's spec."""

    @abstractmethod
    def grader(self, task: Any, view: Path) -> TaskGrader:
        """The task's own grader of a workspace, with the view folder ``view``."""

    def claims(self, name: str) -> bool:
        return False  # always named with the prefix

    def check(self, name: str) -> None:
        return None  # the path is read when the task loads

    def load(self, name: str, cache: Path, runner: SolutionRunner) -> TaskFolder:
        """The task at the path ``name`` as a task folder: its view under ``cache``."""
        task = self.read(Path(name).expanduser())
        task_id, origin = self.identity(task)
        root = view_folder(cache, self.prefix, task_id, origin)

        def baseline(staged: Path, spec: TaskSpec) -> float | None:
            result = starter_score(runner, TaskFolder(staged, spec, self.grader(task, staged)))
            if result.score is None:
                log.warning("%s: the baseline solution was not scored: %s", task_id, result.error)
            return result.score

        raw = build_view(
            root,
            signature(self.sources(task)),
            write=lambda staged: self.write_view(task, staged),
            score_baseline=baseline,
        )
        return TaskFolder(root, self.spec_type(**raw), self.grader(task, root))
