"""Structured-config schemas of ``embodied.episode``, registered in hydra's ConfigStore.

Every group option names its schema in its defaults list, so an override with an unknown key or
a value of the wrong type fails with an error that names it. An agent's schema is its config
dataclass (fields, defaults and their docs live there) plus hydra's ``_target_`` and the
run-wide values (``run.seed``, ``run.device``) it takes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hydra.core.config_store import ConfigStore
from omegaconf import II, MISSING

import worldmodels.language.config  # noqa: F401  (the llm group's schemas: agent=helper)
from embodied.agents.configs import (
    HelperConfig,
    MCTSHelperConfig,
    SimulatorMPCConfig,
    WorldModelMPCConfig,
)
from planning.ray_executor import RaySettings
from runkit.config import EnvConfig, RunConfig


@dataclass
class RandomAgentConfig:
    _target_: str = "embodied.agents.RandomAgent"


@dataclass
class ScriptedAgentConfig:
    """The task's privileged expert (scene envs only)."""

    _target_: str = "embodied.agents.ScriptedAgent"


@dataclass
class SimulatorMPCAgentSchema(SimulatorMPCConfig):
    """agent=mpc_sim: :class:`embodied.agents.configs.SimulatorMPCConfig`."""

    _target_: str = "embodied.agents.SimulatorMPCAgent"
    seed: int = II("run.seed")


@dataclass
class WorldModelMPCAgentSchema(WorldModelMPCConfig):
    """agent=wm_mpc: :class:`embodied.agents.configs.WorldModelMPCConfig`."""

    _target_: str = "embodied.agents.WorldModelMPCAgent"
    device: str = II("run.device")
    seed: int = II("run.seed")


@dataclass
class HelperAgentSchema(HelperConfig):
    """agent=helper: :class:`embodied.agents.configs.HelperConfig` (``llm``: an ``llm`` group
    config, instantiated by hydra)."""

    _target_: str = "embodied.agents.helper.HelperAgent"
    seed: int = II("run.seed")


@dataclass
class MCTSHelperAgentSchema(MCTSHelperConfig):
    """agent=mcts_helper: :class:`embodied.agents.configs.MCTSHelperConfig`."""

    _target_: str = "embodied.agents.mcts_helper.MCTSHelperAgent"
    seed: int = II("run.seed")


@dataclass
class EpisodeConfig:
    """``python -m embodied.episode``: run ``episodes`` episodes of ``agent`` in ``env``.

    ``executor=ray`` runs each episode as a Ray task (fresh env and agent) at ``ray.address``.
    """

    run: RunConfig = field(default_factory=RunConfig)
    env: EnvConfig = field(default_factory=EnvConfig)
    agent: Any = MISSING
    episodes: int = 1
    record: bool = True
    record_episodes: int = 1
    overlay: bool = True
    """Draw step, reward, the agent's reasoning (goal posterior, question and answer, plan) and a
    zoomed inset into the recorded videos (:mod:`embodied.video_overlay`); false: raw frames."""
    executor: str = "local"
    ray: RaySettings = field(default_factory=RaySettings)


def register_configs() -> None:
    """Store the schemas under the names the YAML files' defaults lists use."""
    cs = ConfigStore.instance()
    cs.store(name="episode_schema", node=EpisodeConfig)
    cs.store(group="agent", name="random_schema", node=RandomAgentConfig)
    cs.store(group="agent", name="mpc_sim_schema", node=SimulatorMPCAgentSchema)
    cs.store(group="agent", name="scripted_schema", node=ScriptedAgentConfig)
    cs.store(group="agent", name="wm_mpc_schema", node=WorldModelMPCAgentSchema)
    cs.store(group="agent", name="helper_schema", node=HelperAgentSchema)
    cs.store(group="agent", name="mcts_helper_schema", node=MCTSHelperAgentSchema)


register_configs()
import embodied.deploy.config  # noqa: E402, F401  (the deploy schemas, and agent=kinematic_reach)
