"""What an operator remembers of the search so far, read from the run's journal.

The memory variants of aira-dojo: ``none``; ``sibling`` (the other children of the same parent,
for a draft the other drafts); ``ancestral`` (the chain of the parent's ancestors, what debugging
uses). Entries are journal execution records, most relevant first, at most ``size`` of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from research_agent.journal import Journal, Record

VARIANTS = ("none", "sibling", "ancestral")


def check_variant(variant: str) -> str:
    """``variant`` if it is a known memory variant, else a ValueError naming the valid ones."""
    if variant not in VARIANTS:
        raise ValueError(f"unknown memory variant {variant!r}; valid: {', '.join(VARIANTS)}")
    return variant


@dataclass
class SearchMemory:
    """Selects remembered executions from ``journal`` (None: the operator remembers nothing)."""

    journal: Journal | None
    size: int = 5

    def recall(self, variant: str, parent_id: int | None) -> list[Record]:
        """The executions ``variant`` remembers for a child of ``parent_id`` (None: a draft)."""
        if check_variant(variant) == "none" or self.journal is None:
            return []
        nodes = {record["id"]: record for record in self.journal.nodes()}
        if variant == "sibling":
            wanted = [] if parent_id is None else [parent_id]
            siblings = [r for r in nodes.values() if r["parents"] == wanted]
            return siblings[-self.size :][::-1]
        chain: list[Record] = []
        current = nodes.get(parent_id) if parent_id is not None else None
        while current is not None and len(chain) < self.size:
            chain.append(current)
            parents = current["parents"]
            current = nodes.get(parents[0]) if parents else None
        return chain

    def tried(self) -> list[Record]:
        """Every execution of the run that is a node of its tree, in node order."""
        return [] if self.journal is None else self.journal.nodes()

    def scored(self) -> list[Record]:
        """Every execution of the run that got a validation score, in node order."""
        return [r for r in self.tried() if val_score(r) is not None]


def val_score(record: Record) -> float | None:
    """The validation score of an execution record; None when it is buggy or has none."""
    return None if record.get("is_buggy") else record.get("metrics", {}).get("val_score")


def summarise(record: Record) -> dict[str, Any]:
    """The part of an execution record a prompt shows."""
    return {
        "plan": record.get("plan", ""),
        "score": record.get("metrics", {}).get("val_score"),
        "is_buggy": record.get("is_buggy", False),
        "analysis": record.get("analysis", ""),
        "operator": record.get("operator", ""),
    }
