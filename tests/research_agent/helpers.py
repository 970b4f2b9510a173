"""Helpers the research-agent tests share: fast sandbox limits and the composed research config."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from omegaconf import DictConfig, OmegaConf

from research_agent.execution.sandbox import Limits
from research_agent.journal import Journal
from tests.hydra_compose import compose_config

FAST = Limits(wall_s=20.0, memory_mb=2048, nproc=32)
# the smallest settings under which each search policy uses all of its operators in 6 steps
POLICY_SETTINGS = {
    "greedy": ["search.num_drafts=2"],
    "mcts": ["search.num_children=2"],
    "evolutionary": [
        "search.individuals_per_generation=2",
        "search.num_generations_till_crossover=1",
    ],
}


def research_cfg(tasks_dir: Path, overrides: list[str]) -> DictConfig:
    """The composed research config (without hydra's own node, as outside an app)."""
    cfg = compose_config("research", [f"tasks_dir={tasks_dir}", "run.progress=false", *overrides])
    OmegaConf.set_struct(cfg, False)
    cfg.pop("hydra")
    return cfg


def executions_per_key(run_dir: Path) -> Counter[str]:
    """How often each solution key was executed in a run (from its journal)."""
    return Counter(
        r["key"] for r in Journal(run_dir / "journal.jsonl").records() if r["kind"] == "execution"
    )
