"""Structured-config schemas of ``python -m research_agent.run`` and ``research_agent.leaderboard``.

The ``search`` group's schemas are the planning core's own policy configs plus the ``name`` of
the policy they configure: the research agent and the robots are driven by the same search
policies with the same settings. The ``operators``
group picks the backend that writes solutions (its other fields are the backend's options).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hydra.core.config_store import ConfigStore
from omegaconf import MISSING

import worldmodels.language.config  # noqa: F401  (registers the llm group's schemas)
from planning.evolutionary import EvolutionaryConfig
from planning.greedy import GreedyConfig
from planning.mcts import MCTSConfig
from planning.ray_executor import RaySettings
from runkit.config import RunConfig


@dataclass
class BudgetConfig:
    """Stop after ``steps`` solutions or ``time`` seconds of search (None: unlimited)."""

    steps: int | None = 20
    time: float | None = None


@dataclass
class SandboxConfig:
    """How solutions run. ``isolation``: auto, bwrap, unshare or none; ``time_limit_s`` and
    ``memory_mb`` override the task's limits when set. ``spares``: how many sandboxes may be
    started ahead, importing what the last solution imported, so the next runs at once
    (0: each solution starts its own). ``disk_mb`` caps the workspace, ``tmpfs_mb`` the
    sandbox's /tmp and /dev/shm each (unset: half the memory) and ``log_kb`` the stdout and
    stderr kept per solution (first and last halves, with a marker where it was cut)."""

    isolation: str = "auto"
    time_limit_s: float | None = None
    memory_mb: int | None = None
    cpus: int = 1
    nproc: int = 64
    spares: int = 2
    disk_mb: int = 512
    tmpfs_mb: int | None = None
    log_kb: int = 1024


@dataclass
class SelectionConfig:
    """How the run's solution is chosen: the best mean score over ``folds``-fold
    cross-validation (training + validation samples) among at most ``candidates`` solutions
    (the best by validation score, the baseline, the best of each other model family), in
    ``time_fraction`` of a time budget kept from the search for it. ``folds`` below 2 (or a
    task without array data): the best validation score. ``ensemble``: the ensemble of the
    three best by cross-validation (a vote; a mean for regressions) is chosen instead when it
    cross-validates better."""

    folds: int = 3
    candidates: int = 7
    time_fraction: float = 0.25
    ensemble: bool = True


@dataclass
class OperatorsConfig:
    """The operator backend: ``programmatic`` or ``llm`` (with an ``llm=`` language model)."""

    backend: str = MISSING


@dataclass
class ProgrammaticOperatorsConfig(OperatorsConfig):
    """Template drafts (each of a model family no earlier solution has used while there is
    one, imputed and standardised), ``edits`` structured config edits per improve, rule-based
    debugging.

    An edit switches the model family with ``family_prob`` (``stalled_family_prob`` once
    ``stall_after`` children of the parent have not beaten it), starting from that family's best
    solution so far; it toggles a feature step with ``feature_prob``, else moves one setting.
    A solution the run has tried already is edited further, up to ``further_edits`` more edits.
    """

    backend: str = "programmatic"
    edits: int = 1
    family_prob: float = 0.15
    feature_prob: float = 0.25
    stall_after: int = 3
    stalled_family_prob: float = 0.5
    further_edits: int = 3


@dataclass
class LLMOperatorsConfig(OperatorsConfig):
    """Operators written by the ``llm`` language model. ``memory``: none, sibling or ancestral
    (what earlier attempts the prompts show, at most ``memory_size``); a malformed answer is
    sent back ``attempts`` − 1 times. The model's ``llm.capability`` picks the mode: ``program``
    (it writes whole programs of up to ``max_tokens``) or ``config`` (it chooses each solution's
    config as JSON of up to ``config_tokens``, rendered from the templates)."""

    backend: str = "llm"
    memory: str = "none"
    memory_size: int = 5
    temperature: float = 0.7
    max_tokens: int = 1024
    config_tokens: int = 160
    attempts: int = 2
    analysis_tokens: int = 96


@dataclass
class GreedySearchConfig(GreedyConfig):
    """``search=greedy``: :class:`planning.greedy.GreedyConfig`, for the policy ``name``."""

    name: str = "greedy"


@dataclass
class MCTSSearchConfig(MCTSConfig):
    """``search=mcts``: :class:`planning.mcts.MCTSConfig`, for the policy ``name``."""

    name: str = "mcts"


@dataclass
class EvolutionarySearchConfig(EvolutionaryConfig):
    """``search=evolutionary``: :class:`planning.evolutionary.EvolutionaryConfig`, for the
    policy ``name``."""

    name: str = "evolutionary"


@dataclass
class ResearchConfig:
    """Search over solutions of ``task`` with the ``search`` policy and the ``operators``.

    ``task``: a built-in id or a task folder; ``llm``: the language model of ``operators=llm``;
    ``tasks_dir``: where built-in tasks are prepared (default ``$RESEARCH_TASKS_DIR`` or
    ~/.cache); ``resume``: continue the run in the run folder with the config it was started
    with (:mod:`research_agent.resume`). ``run.seed`` also seeds the search (``search.seed``
    follows it unless set).
    ``start_from_baseline``: run the task's baseline solution first, as the first draft.
    ``selection``: how the final solution is chosen (see :class:`SelectionConfig`).
    ``novelty_tries``: how many times an operator is asked for a solution not yet tried in the
    run before its fallbacks are (a crossover mutates its first parent, an improve drafts) and
    a repeat is run (1: every proposal is run as it comes).
    ``executor``: local (``workers`` threads) or ray (``workers`` Ray tasks at a time, on the
    cluster at ``ray.address``; see :class:`planning.ray_executor.RaySettings`).
    """

    run: RunConfig = field(default_factory=RunConfig)
    task: str = MISSING
    search: Any = MISSING
    operators: Any = MISSING
    llm: Any = None
    budget: BudgetConfig = field(default_factory=BudgetConfig)
    sandbox: SandboxConfig = field(default_factory=SandboxConfig)
    selection: SelectionConfig = field(default_factory=SelectionConfig)
    workers: int = 1
    executor: str = "local"
    ray: RaySettings = field(default_factory=RaySettings)
    resume: bool = False
    tasks_dir: str | None = None
    start_from_baseline: bool = True
    novelty_tries: int = 8


@dataclass
class LeaderboardConfig:
    """Rank agents/runs found under ``runs`` across tasks; ``bootstrap``: resamples of each
    agent's seeds for 95% intervals (0: none)."""

    run: RunConfig = field(default_factory=RunConfig)
    runs: list[str] = field(default_factory=list)
    method: str = "sco"
    temperature: float = 1.0
    iterations: int = 1000
    bootstrap: int = 200


def register_configs() -> None:
    cs = ConfigStore.instance()
    cs.store(name="research_schema", node=ResearchConfig)
    cs.store(name="leaderboard_schema", node=LeaderboardConfig)
    cs.store(group="search", name="greedy_schema", node=GreedySearchConfig)
    cs.store(group="search", name="mcts_schema", node=MCTSSearchConfig)
    cs.store(group="search", name="evolutionary_schema", node=EvolutionarySearchConfig)
    cs.store(group="operators", name="programmatic_schema", node=ProgrammaticOperatorsConfig)
    cs.store(group="operators", name="llm_schema", node=LLMOperatorsConfig)


register_configs()
