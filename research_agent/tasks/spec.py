"""A research task: a folder with ``task.yaml``, public data, a starter solution and a grader.

Layout::

    <task>/task.yaml          id, description, metric, limits, baseline score, medal thresholds
    <task>/public/            what a solution may read (mounted read-only at /data)
    <task>/starter/solution.py  the baseline solution
    <task>/private/           held-out labels: never mounted into a sandbox
    <task>/evaluate.py        the grader: ``evaluate(predictions, labels, metric) -> dict``
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import yaml

MEDALS = ("gold", "silver", "bronze", "median")


@dataclass(frozen=True)
class TaskSpec:
    """What ``task.yaml`` says. ``kind`` is "classification" or "regression"; ``image`` marks
    image inputs; ``medals`` maps gold/silver/bronze/median to scores (optional)."""

    id: str
    description: str
    kind: str
    metric: str
    direction: str
    baseline_score: float | None = None
    time_limit_s: float = 60.0
    memory_mb: int = 4096
    wants_gpu: bool = False
    image: bool = False
    medals: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.direction not in ("maximize", "minimize"):
            raise ValueError(f"task {self.id}: direction must be maximize or minimize")

    def signed(self, score: float) -> float:
        """``score`` turned into higher-is-better (what the search policies maximise)."""
        return score if self.direction == "maximize" else -score

    def better_or_equal(self, score: float, threshold: float) -> bool:
        return self.signed(score) >= self.signed(threshold)

    def medal(self, score: float | None) -> str | None:
        """The best of gold/silver/bronze reached by ``score``, "above_median", or None."""
        if score is None:
            return None
        for name in MEDALS:
            if name in self.medals and self.better_or_equal(score, self.medals[name]):
                return "above_median" if name == "median" else name
        return None


class TaskGrader(Protocol):
    """A task's own grader (an external task's evaluation script or grade function): the
    evaluation JSON of the submission a solution left in ``workspace`` for ``split``, run
    outside the sandbox: "val" against the validation split's answers (what the search sees),
    "test" against the held-out answers (the final solution only; see
    :mod:`research_agent.tasks.external`)."""

    def grade(self, workspace: Path, split: str) -> dict[str, Any]: ...


@dataclass(frozen=True)
class TaskFolder:
    """A task folder and its spec; ``grader`` replaces ``evaluate.py`` on the held-out labels
    for tasks that bring their own grader (MLGym, MLE-bench)."""

    root: Path
    spec: TaskSpec
    grader: TaskGrader | None = field(default=None, compare=False, repr=False)

    @property
    def public_dir(self) -> Path:
        return self.root / "public"

    @property
    def private_dir(self) -> Path:
        return self.root / "private"

    @property
    def starter(self) -> Path:
        return self.root / "starter" / "solution.py"

    @property
    def evaluator(self) -> Path:
        return self.root / "evaluate.py"

    @property
    def baseline_run(self) -> Path:
        """Where the starter solution ran when the task was prepared (its workspace holds the
        baseline's predictions)."""
        return self.root / "baseline_run"

    @classmethod
    def load(cls, root: str | Path) -> TaskFolder:
        """Read ``root/task.yaml``."""
        root = Path(root)
        raw = yaml.safe_load((root / "task.yaml").read_text())
        return cls(root=root, spec=TaskSpec(**raw))


def staging_folder(root: Path) -> Path:
    """An empty folder beside ``root`` (private to this process) to write a task folder into."""
    tmp = root.with_name(f".{root.name}.{os.getpid()}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    return tmp


def publish(staged: Path, root: Path) -> TaskFolder:
    """Move the written task folder ``staged`` to ``root`` in one step (or drop it when another
    process published ``root`` meanwhile) and load it."""
    if root.exists():
        shutil.rmtree(staged)
    else:
        staged.rename(root)
    return TaskFolder.load(root)
