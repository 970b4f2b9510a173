"""Structured-config schemas of ``embodied.episode``, registered in hydra's ConfigStore.

Every group option names its schema in its defaults list, so an override with an unknown key or
a value of the wrong type fails with an error that names it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hydra.core.config_store import ConfigStore
from omegaconf import II, MISSING

from runkit.config import EnvConfig, RunConfig
from worldmodels.config import TrainerConfig, WorldModelConfig


@dataclass
class RandomAgentConfig:
    _target_: str = "embodied.agents.RandomAgent"


@dataclass
class ScriptedAgentConfig:
    """The task's privileged expert (scene envs only)."""

    _target_: str = "embodied.agents.ScriptedAgent"


@dataclass
class SimulatorMPCAgentConfig:
    """MPC with the simulator as its model; planner "mppi" or "cem" from the planning core."""

    _target_: str = "embodied.agents.SimulatorMPCAgent"
    planner: str = "mppi"
    horizon: int = 50
    num_samples: int = 64
    num_elites: int = 8
    iterations: int = 2
    temperature: float = 0.5
    min_std: float = 0.05
    max_std: float = 0.5
    discount: float = 0.99
    nthread: int = 2
    seed: int = II("run.seed")


@dataclass
class WorldModelMPCAgentConfig:
    """MPC in a learned world model's latent space (TD-MPC2's planner), learning online.

    checkpoint: a world-model checkpoint (a ``step_*`` folder or a training run's folder) to
    start from; without one a model is built from ``worldmodel`` and learned from scratch.
    """

    _target_: str = "embodied.agents.WorldModelMPCAgent"
    _convert_: str = "all"  # nested configs arrive as plain dicts and lists
    checkpoint: str | None = None
    worldmodel: WorldModelConfig = field(default_factory=WorldModelConfig)
    trainer: TrainerConfig = field(default_factory=TrainerConfig)
    planner: str = "mppi"
    horizon: int = 3
    num_samples: int = 512
    num_elites: int = 64
    iterations: int = 6
    num_policy_samples: int = 24
    temperature: float = 0.5
    learn: bool = True
    seed_steps: int = 1000
    updates_per_step: int = 1
    explore_std: float = 0.1
    save_to: str | None = None
    device: str = II("run.device")
    seed: int = II("run.seed")


@dataclass
class EpisodeConfig:
    """``python -m embodied.episode``: run ``episodes`` episodes of ``agent`` in ``env``."""

    run: RunConfig = field(default_factory=RunConfig)
    env: EnvConfig = field(default_factory=EnvConfig)
    agent: Any = MISSING
    episodes: int = 1
    record: bool = True
    record_episodes: int = 1


@dataclass
class DeployConfig:
    """``python -m embodied.deploy``: an agent in a fixed-rate control loop against a robot."""

    run: RunConfig = field(default_factory=RunConfig)
    robot: str = MISSING
    agent: Any = None
    checkpoint: str | None = None
    bridge: str = "ros1"
    rate_hz: float = 50.0
    stale_after_s: float = 0.2
    dry_run: bool = False


def register_configs() -> None:
    """Store the schemas under the names the YAML files' defaults lists use."""
    cs = ConfigStore.instance()
    cs.store(name="episode_schema", node=EpisodeConfig)
    cs.store(name="deploy_schema", node=DeployConfig)
    cs.store(group="agent", name="random_schema", node=RandomAgentConfig)
    cs.store(group="agent", name="mpc_sim_schema", node=SimulatorMPCAgentConfig)
    cs.store(group="agent", name="scripted_schema", node=ScriptedAgentConfig)
    cs.store(group="agent", name="wm_mpc_schema", node=WorldModelMPCAgentConfig)


register_configs()
