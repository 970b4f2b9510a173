"""Operators that write solutions, bound to a backend chosen by the ``operators`` config group.

Backends register a factory in :data:`BACKENDS`; a factory gets the run's
:class:`OperatorContext` (its journal, for memory, and its ``llm`` config) and the backend's
options from the ``operators`` config.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from omegaconf import DictConfig

from research_agent.journal import Journal
from research_agent.operators.base import Operators, ProposedSolution
from research_agent.operators.call_log import CALLS_FILE, LoggedModel
from research_agent.operators.config_edit import ConfigEditOperators
from research_agent.operators.diagnosis import diagnose
from research_agent.operators.llm import LLMOperators
from research_agent.operators.memory import SearchMemory
from research_agent.operators.programmatic import ProgrammaticOperators
from research_agent.solutions.space import FAMILIES


@dataclass(frozen=True)
class OperatorContext:
    """What a backend may use beyond its options: the run's journal and language model config."""

    journal: Journal | None = None
    llm: DictConfig | None = None


def _programmatic(context: OperatorContext, **options: Any) -> Operators:
    # the last len(FAMILIES) drafts are recalled: more than any task has families
    recall = SearchMemory(context.journal, len(FAMILIES))
    return ProgrammaticOperators(recall=recall, **options)


def _llm(
    context: OperatorContext,
    memory_size: int = 5,
    config_tokens: int = 160,
    **options: Any,
) -> Operators:
    """The program mode or, for a model of ``capability: config``, the config mode; every
    model call is logged (a progress line, and ``llm_calls.jsonl`` beside the journal)."""
    from worldmodels.language.config import build_language_model, capability_of

    if context.llm is None:
        raise ValueError(
            "operators=llm needs a language model: add llm=embedded (offline), llm=openai "
            "or llm=local_server"
        )
    capability = capability_of(context.llm)
    recall = SearchMemory(context.journal, memory_size)
    calls = None if context.journal is None else context.journal.path.parent / CALLS_FILE
    model = LoggedModel(build_language_model(context.llm), calls)
    if capability == "program":
        return LLMOperators(model, recall=recall, **options)
    return ConfigEditOperators(
        model,
        recall=recall,
        temperature=options.get("temperature", 0.7),
        max_tokens=config_tokens,
        attempts=options.get("attempts", 2),
    )


BACKENDS: dict[str, Callable[..., Operators]] = {"programmatic": _programmatic, "llm": _llm}


def make_operators(
    backend: str, context: OperatorContext | None = None, **options: Any
) -> Operators:
    """The operators of ``backend`` built with ``options`` (and the run's ``context``)."""
    if backend not in BACKENDS:
        raise ValueError(f"unknown operators backend {backend!r}; known: {sorted(BACKENDS)}")
    return BACKENDS[backend](context or OperatorContext(), **options)


__all__ = [
    "BACKENDS",
    "CALLS_FILE",
    "ConfigEditOperators",
    "LLMOperators",
    "OperatorContext",
    "Operators",
    "ProgrammaticOperators",
    "ProposedSolution",
    "diagnose",
    "make_operators",
]
