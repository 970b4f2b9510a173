"""Structured-config schemas of ``python -m research_agent.run`` and ``research_agent.leaderboard``.

The ``search`` group's schemas are the planning core's own policy configs: the research agent and
the robots are driven by the same search policies with the same settings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hydra.core.config_store import ConfigStore
from omegaconf import MISSING

from planning.evolutionary import EvolutionaryConfig
from planning.greedy import GreedyConfig
from planning.mcts import MCTSConfig
from runkit.config import RunConfig


@dataclass
class ResearchConfig:
    """Search over solutions of ``task`` with the ``search`` policy, within the step/time budget."""

    run: RunConfig = field(default_factory=RunConfig)
    task: str = MISSING
    search: Any = MISSING
    max_steps: int | None = 20
    max_seconds: float | None = None
    workers: int = 1
    resume: bool = True


@dataclass
class LeaderboardConfig:
    """Rank agents/runs found under ``runs`` across tasks."""

    run: RunConfig = field(default_factory=RunConfig)
    runs: list[str] = field(default_factory=list)
    method: str = "sco"
    temperature: float = 1.0
    iterations: int = 1000


def register_configs() -> None:
    cs = ConfigStore.instance()
    cs.store(name="research_schema", node=ResearchConfig)
    cs.store(name="leaderboard_schema", node=LeaderboardConfig)
    cs.store(group="search", name="greedy_schema", node=GreedyConfig)
    cs.store(group="search", name="mcts_schema", node=MCTSConfig)
    cs.store(group="search", name="evolutionary_schema", node=EvolutionaryConfig)


register_configs()
