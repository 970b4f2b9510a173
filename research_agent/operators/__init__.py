"""Operators that write solutions, bound to a backend chosen by the ``operators`` config group.

Backends register a factory in :data:`BACKENDS`; an ``llm`` backend built on
``worldmodels.language`` plugs in the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from research_agent.operators.base import Candidate, Operators
from research_agent.operators.diagnosis import diagnose
from research_agent.operators.programmatic import ProgrammaticOperators

BACKENDS: dict[str, Callable[..., Operators]] = {"programmatic": ProgrammaticOperators}


def make_operators(backend: str, **options: Any) -> Operators:
    """The operators of ``backend`` built with ``options``."""
    if backend not in BACKENDS:
        raise ValueError(f"unknown operators backend {backend!r}; known: {sorted(BACKENDS)}")
    return BACKENDS[backend](**options)


__all__ = [
    "BACKENDS",
    "Candidate",
    "Operators",
    "ProgrammaticOperators",
    "diagnose",
    "make_operators",
]
