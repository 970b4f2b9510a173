"""Island-model evolutionary search, following aira-dojo's EVO solver.

Offspring are made ``individuals_per_generation`` per island per generation, islands in turn.
Generation 0 (and any empty island) drafts. Later generations sample parents from their island
with probability softmax(normalised fitness / temperature), fitness min-max normalised within
the island; from generation ``num_generations_till_crossover`` on, a child is a crossover of two
parents with probability ``crossover_prob``, else an improvement of one. A good child joins its
island only if its fitness is at least the island's mean (the first member joins freely); the
weakest member leaves when the island outgrows ``max_island_size``. Buggy children are debugged
first, up to ``max_debug_depth``, and a fix tries to join the island of its chain. Every
``migration_interval`` generations (0 = never) the weaker half of the islands, ranked by best
fitness, is reset to the best individual of a stronger island.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from planning.domain import SearchDomain
from planning.search_policy import Proposal, SearchConfig, SearchPolicy, require
from planning.tree import Node


@dataclass
class EvolutionaryConfig(SearchConfig):
    """Defaults are aira-dojo's MLE-bench values; migration is off by default."""

    num_islands: int = 1
    max_island_size: int = 500
    crossover_prob: float = 0.5
    temperature: float = 1.0
    individuals_per_generation: int = 5
    num_generations_till_crossover: int = 2
    max_debug_depth: int = 10
    migration_interval: int = 0

    def validate(self) -> None:
        super().validate()
        require(self.num_islands >= 1, self, "num_islands", ">= 1")
        require(self.max_island_size >= 2, self, "max_island_size", ">= 2")
        require(0 <= self.crossover_prob <= 1, self, "crossover_prob", "in [0, 1]")
        require(self.temperature > 0, self, "temperature", "> 0")
        require(self.individuals_per_generation >= 1, self, "individuals_per_generation", ">= 1")
        require(
            self.num_generations_till_crossover >= 1, self, "num_generations_till_crossover", ">= 1"
        )
        require(self.max_debug_depth >= 0, self, "max_debug_depth", ">= 0")
        require(self.migration_interval >= 0, self, "migration_interval", ">= 0 (0 = never)")


class Evolutionary(SearchPolicy):
    """Fitness-weighted improve/crossover over islands of good nodes."""

    config: EvolutionaryConfig

    def __init__(self, config: EvolutionaryConfig | None = None) -> None:
        super().__init__(config or EvolutionaryConfig())
        self.islands: list[list[int]] = [[] for _ in range(self.config.num_islands)]
        self.island_of: dict[int, int] = {}
        self.num_offspring = 0
        self.last_migration = 0

    @property
    def generation(self) -> int:
        """Index of the generation the next offspring belongs to."""
        per_generation = self.config.individuals_per_generation * self.config.num_islands
        return self.num_offspring // per_generation

    def _propose(self, domain: SearchDomain, limit: int) -> list[Proposal]:
        proposals: list[Proposal] = []
        for tip in self.tree.debuggable_leaves(self.config.max_debug_depth)[:limit]:
            self.island_of[len(self.tree) + len(proposals)] = self.island_of[tip.id]
            proposals.append(Proposal("debug", (tip.id,)))
        while len(proposals) < limit:
            self._maybe_migrate()
            island = self.num_offspring % self.config.num_islands
            self.island_of[len(self.tree) + len(proposals)] = island
            proposals.append(self._offspring(island))
            self.num_offspring += 1
        return proposals

    def _offspring(self, island: int) -> Proposal:
        members = self.islands[island]
        if self.generation == 0 or not members:
            return Proposal("draft")
        crossover = (
            self.generation >= self.config.num_generations_till_crossover
            and len(members) >= 2
            and self.rng.random() < self.config.crossover_prob
        )
        return Proposal(
            "crossover" if crossover else "improve", self._sample(members, 2 if crossover else 1)
        )

    def _sample(self, members: list[int], count: int) -> tuple[int, ...]:
        """Draw ``count`` distinct members, weighted by softmax of normalised fitness."""
        fitness = np.array([self.tree[m].score for m in members], dtype=float)
        span = fitness.max() - fitness.min()
        normalised = (fitness - fitness.min()) / span if span > 0 else np.ones_like(fitness)
        logits = normalised / self.config.temperature
        weights = np.exp(logits - logits.max())
        chosen = self.rng.choice(len(members), size=count, replace=False, p=weights / weights.sum())
        return tuple(members[int(i)] for i in chosen)

    def _integrate(self, node: Node, domain: SearchDomain) -> None:
        if node.is_buggy:
            return
        members = self.islands[self.island_of.get(node.id, 0)]  # initial nodes: island 0
        if members and node.score < np.mean([self.tree[m].score for m in members]):
            return
        members.append(node.id)
        if len(members) > self.config.max_island_size:
            members.remove(min(members, key=lambda m: self.tree[m].score))

    def _maybe_migrate(self) -> None:
        interval, generation = self.config.migration_interval, self.generation
        if interval == 0 or self.config.num_islands < 2 or generation == self.last_migration:
            return
        if generation % interval:
            return
        self.last_migration = generation
        best = [max(m, key=lambda i: self.tree[i].score) if m else None for m in self.islands]
        order = sorted(
            range(len(self.islands)),
            key=lambda i: -self.tree[best[i]].score if best[i] is not None else np.inf,
        )
        half = len(order) // 2
        strong, weak = order[: len(order) - half], order[len(order) - half :]
        for k, island in enumerate(weak):
            founder = best[strong[k % len(strong)]]
            self.islands[island] = [founder] if founder is not None else []

    def _extra_state(self) -> dict[str, Any]:
        return {
            "islands": [list(m) for m in self.islands],
            "island_of": dict(self.island_of),
            "num_offspring": self.num_offspring,
            "last_migration": self.last_migration,
        }

    def _load_extra_state(self, state: dict[str, Any]) -> None:
        self.islands = [list(m) for m in state["islands"]]
        self.island_of = dict(state["island_of"])
        self.num_offspring = state["num_offspring"]
        self.last_migration = state["last_migration"]
