"""The operator interface: what any backend (programmatic now, an LLM later) must provide.

Operators are bound to a backend object; the search domain calls them with the task, the
parents as the planning core hands them over (``Parent.payload`` is a :class:`ProposedSolution`-like
dict with "code" and "plan"; ``Parent.info`` holds the parent's execution record) and a seeded
random generator.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from planning.domain import Parent
from research_agent.tasks.spec import TaskFolder


@dataclass(frozen=True)
class ProposedSolution:
    """An operator's proposal: the solution's code and the plan behind it."""

    code: str
    plan: str

    def as_payload(self) -> dict[str, str]:
        return {"code": self.code, "plan": self.plan}


class Operators(Protocol):
    """draft / improve / debug / crossover make code; analyze explains an execution."""

    def draft(self, task: TaskFolder, rng: np.random.Generator) -> ProposedSolution: ...

    def improve(
        self, task: TaskFolder, parent: Parent, rng: np.random.Generator
    ) -> ProposedSolution: ...

    def debug(
        self, task: TaskFolder, parent: Parent, rng: np.random.Generator
    ) -> ProposedSolution: ...

    def crossover(
        self, task: TaskFolder, first: Parent, second: Parent, rng: np.random.Generator
    ) -> ProposedSolution: ...

    def analyze(self, task: TaskFolder, code: str, execution: dict[str, Any]) -> str: ...
