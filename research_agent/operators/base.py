"""The operator interface: what any backend (programmatic now, an LLM later) must provide.

Operators are bound to a backend object; the search domain calls them with the task, the
parents as the planning core hands them over (``Parent.payload`` is a :class:`Candidate`-like
dict with "code" and "plan"; ``Parent.info`` holds the parent's execution record) and a seeded
random generator.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from planning.domain import Parent
from research_agent.tasks.spec import Task


@dataclass(frozen=True)
class Candidate:
    """An operator's proposal: the solution's code and the plan behind it."""

    code: str
    plan: str

    def as_payload(self) -> dict[str, str]:
        return {"code": self.code, "plan": self.plan}


class Operators(Protocol):
    """draft / improve / debug / crossover make code; analyze explains an execution."""

    def draft(self, task: Task, rng: np.random.Generator) -> Candidate: ...

    def improve(self, task: Task, parent: Parent, rng: np.random.Generator) -> Candidate: ...

    def debug(self, task: Task, parent: Parent, rng: np.random.Generator) -> Candidate: ...

    def crossover(
        self, task: Task, first: Parent, second: Parent, rng: np.random.Generator
    ) -> Candidate: ...

    def analyze(self, task: Task, code: str, execution: dict[str, Any]) -> str: ...
