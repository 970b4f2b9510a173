"""Structured-config schemas of ``embodied.episode``, registered in hydra's ConfigStore.

Every group option names its schema in its defaults list, so an override with an unknown key or
a value of the wrong type fails with an error that names it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hydra.core.config_store import ConfigStore
from omegaconf import II, MISSING

import worldmodels.language.config  # noqa: F401  (the llm group's schemas: agent=helper)
from planning.ray_executor import RaySettings
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
    explore_std: exploration noise while learning, in [-1, 1] units of the action box; null
    takes the std of the planner's final distribution (TD-MPC2).
    compile: torch.compile the planner's scoring and the losses; null compiles on CUDA only
    (on a CPU, true costs minutes of compilation and then halves the time per step).
    env_id: the env's id, recorded in the checkpoint it saves and named when a checkpoint does
    not fit the env (configs/agent/wm_mpc.yaml fills it from ``env.id``).
    cpu_threads: torch's intra-op threads on a CPU (null keeps torch's default); 1 is fastest
    for the small models here, above all on a CPU shared with other jobs.
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
    explore_std: float | None = None
    save_to: str | None = None
    env_id: str | None = None
    device: str = II("run.device")
    seed: int = II("run.seed")
    compile: bool | None = None
    cpu_threads: int | None = 1


@dataclass
class HelperAgentConfig:
    """The helper of env=help_household (embodied.agents.helper); ``llm``: an ``llm`` group
    config for the dialogue game's utterances, or null for plain templates."""

    _target_: str = "embodied.agents.helper.HelperAgent"
    mode: str = "infer"
    num_particles: int = 512
    rationality: float = 2.0
    noise: float = 0.05
    change_prob: float = 0.02
    belief_slip: float = 0.1
    confidence: float = 0.6
    ask: bool = True
    ask_cost: float = 3.0
    max_questions: int = 1
    answer_error: float = 0.05
    llm: Any = None
    dialogue: bool = True
    memory_capacity: int = 256
    memory_path: str | None = None
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
    executor: str = "local"
    ray: RaySettings = field(default_factory=RaySettings)


def register_configs() -> None:
    """Store the schemas under the names the YAML files' defaults lists use."""
    cs = ConfigStore.instance()
    cs.store(name="episode_schema", node=EpisodeConfig)
    cs.store(group="agent", name="random_schema", node=RandomAgentConfig)
    cs.store(group="agent", name="mpc_sim_schema", node=SimulatorMPCAgentConfig)
    cs.store(group="agent", name="scripted_schema", node=ScriptedAgentConfig)
    cs.store(group="agent", name="wm_mpc_schema", node=WorldModelMPCAgentConfig)
    cs.store(group="agent", name="helper_schema", node=HelperAgentConfig)


register_configs()
import embodied.deploy.config  # noqa: E402, F401  (the deploy schemas, and agent=kinematic_reach)
