"""The small protocol between search policies and the problems they search.

A domain turns an :class:`ExpansionJob` (an operator applied to parent solutions) into an
:class:`Expansion` (a proposed child together with its score). Proposing and scoring happen in
the same call because both are the expensive part (an LLM writing code and a sandbox running
it, or a world model rolling out an action sequence), so both run inside an executor.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

Operator = Literal["draft", "improve", "debug", "crossover"]
OPERATORS: tuple[Operator, ...] = ("draft", "improve", "debug", "crossover")


@dataclass(frozen=True)
class Parent:
    """What a domain sees of a parent node."""

    id: int
    payload: Any
    score: float | None
    is_buggy: bool
    info: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ExpansionJob:
    """One request to a domain: apply ``operator`` to ``parents`` using randomness from ``seed``.

    "draft" has no parents, "improve" and "debug" one, "crossover" two.
    """

    operator: Operator
    parents: tuple[Parent, ...]
    seed: int


@dataclass
class Expansion:
    """A domain's answer: the child payload and its score (higher is better, None if buggy)."""

    payload: Any
    score: float | None
    is_buggy: bool = False
    info: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.score is None and not self.is_buggy:
            raise ValueError("an Expansion without a score must have is_buggy=True")

    @classmethod
    def failure(cls, error: str, payload: Any = None) -> Expansion:
        """A buggy expansion standing for a failed job; ``error`` goes to ``info["error"]``."""
        return cls(payload=payload, score=None, is_buggy=True, info={"error": error})


@runtime_checkable
class SearchDomain(Protocol):
    """A problem a search policy can work on.

    A domain may also define ``is_terminal(payload) -> bool``; terminal nodes are never expanded.
    """

    def expand(self, job: ExpansionJob) -> Expansion:
        """Propose a child by applying ``job.operator`` to ``job.parents``, and score it."""
        ...


def is_terminal(domain: SearchDomain, payload: Any) -> bool:
    """Whether ``domain`` declares ``payload`` terminal (False if it has no ``is_terminal``)."""
    check = getattr(domain, "is_terminal", None)
    return bool(check(payload)) if check is not None else False
