"""Greedy tree search in the style of AIDE (as configured by aira-dojo for MLE-bench).

Draft until ``num_drafts`` drafts exist; then, with probability ``debug_prob``, debug a random
buggy leaf whose debug depth is below ``max_debug_depth``; otherwise improve the best good node
(or draft again if there is none).
"""

from __future__ import annotations

from dataclasses import dataclass

from planning.domain import SearchDomain
from planning.search_policy import Proposal, SearchConfig, SearchPolicy, require


@dataclass
class GreedyConfig(SearchConfig):
    """Defaults are aira-dojo's MLE-bench values."""

    num_drafts: int = 5
    debug_prob: float = 1.0
    max_debug_depth: int = 20

    def validate(self) -> None:
        super().validate()
        require(self.num_drafts >= 1, self, "num_drafts", ">= 1")
        require(0.0 <= self.debug_prob <= 1.0, self, "debug_prob", "in [0, 1]")
        require(self.max_debug_depth >= 0, self, "max_debug_depth", ">= 0")


class Greedy(SearchPolicy):
    """AIDE-style greedy search."""

    config: GreedyConfig

    def __init__(self, config: GreedyConfig | None = None) -> None:
        super().__init__(config or GreedyConfig())

    def _propose(self, domain: SearchDomain, limit: int) -> list[Proposal]:
        cfg = self.config
        proposals: list[Proposal] = []
        num_drafts = len(self.tree.draft_nodes())
        debugging: set[int] = set()
        for _ in range(limit):
            if num_drafts < cfg.num_drafts:
                proposals.append(Proposal("draft"))
                num_drafts += 1
                continue
            leaves = [
                n for n in self.tree.debuggable_leaves(cfg.max_debug_depth) if n.id not in debugging
            ]
            if leaves and self.rng.random() < cfg.debug_prob:
                leaf = leaves[int(self.rng.integers(len(leaves)))]
                debugging.add(leaf.id)
                proposals.append(Proposal("debug", (leaf.id,)))
                continue
            best = self.best_open_node(domain)
            proposals.append(Proposal("improve", (best.id,)) if best else Proposal("draft"))
        return proposals
