"""Structured-config schemas of ``python -m worldmodels.train`` (configs/train_worldmodel.yaml).

The data source is instantiated from config (``_target_``), so that this package never imports
``embodied`` in code: the dependency lives in the config tree. Every group option names its
schema in its defaults list, so a bad key or type fails with an error that names it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hydra.core.config_store import ConfigStore
from omegaconf import II, MISSING

from planning.ray_executor import RaySettings
from runkit.config import EnvConfig, RunConfig


@dataclass
class WorldModelConfig:
    """Shapes of the world model (presets in configs/worldmodel/).

    modalities: observation keys the model encodes (any subset of proprio, rgb, depth, ...);
    each gets its own encoder and the embeddings of those present are averaged (absent =
    masked). num_dynamics > 1 trains an ensemble whose disagreement is the uncertainty.
    decoder: train decoders from the latent back to each modality (for evaluation and plots).
    text_tokenizer, text_embed_dim: the ``text`` modality (padded token ids, see
    worldmodels/text_encoder.py) is read with this tokenizer's vocabulary (smollm2 or bytes) and
    embedded in ``text_embed_dim`` dimensions before pooling; it has no decoder.
    """

    modalities: list[str] = field(default_factory=lambda: ["proprio"])
    latent_dim: int = 512
    hidden_dim: int = 512
    encoder_dim: int = 256
    cnn_channels: int = 32
    simnorm_group: int = 8
    num_bins: int = 101
    vmin: float = -10.0
    vmax: float = 10.0
    num_q: int = 5
    num_dynamics: int = 1
    decoder: bool = True
    activation: str = "exp_mish"
    log_std_min: float = -10.0
    log_std_max: float = 2.0
    text_tokenizer: str = "smollm2"
    text_embed_dim: int = 32


VALUE_TARGETS = ("td", "return", "mixed")  # TrainerConfig.value_target


@dataclass
class TrainerConfig:
    """TD-MPC2's losses and optimiser; ``amp``/``compile`` = None means on with CUDA only.

    image_shift: the encoder trains on image observations shifted at random by up to this many
    pixels (TD-MPC2's random-shift augmentation, 3 at 64×64); 0 turns it off.

    value_target: what the Q ensemble learns (in the same two-hot loss). ``td`` (TD-MPC2's):
    ``r + discount·Q_target(s', π(s'))``. ``return``: the logged episode's discounted return
    from the step on (the behaviour policy's Monte-Carlo return, computed once when the data
    is loaded); an episode cut by the time limit, not terminated, gets its tail bootstrapped
    with the target Q at its last observation. ``mixed``: the larger of the two (the
    learned policy may do better than the logged one). ``return`` and ``mixed`` need complete
    logged episodes: offline training (``python -m worldmodels.train``) only; the online
    agent (``agent=wm_mpc`` learning) refuses them.
    """

    horizon: int = 3
    batch_size: int = 256
    learning_rate: float = 3e-4
    encoder_lr_scale: float = 0.3
    grad_clip_norm: float = 20.0
    rho: float = 0.5
    discount: float = 0.99
    consistency_coef: float = 20.0
    reward_coef: float = 0.1
    value_coef: float = 0.1
    termination_coef: float = 1.0
    decoder_coef: float = 1.0
    entropy_coef: float = 1e-4
    tau: float = 0.01
    modality_dropout: float = 0.0
    image_shift: int = 3
    value_target: str = "td"
    amp: bool | None = None
    compile: bool | None = None


@dataclass
class EvalConfig:
    """Open-loop prediction error at ``horizons`` on the last ``heldout_fraction`` of episodes."""

    horizons: list[int] = field(default_factory=lambda: [1, 5, 10])
    heldout_fraction: float = 0.2
    max_starts: int = 512
    plot: bool = True
    agent_every: int = 1000


@dataclass
class AgentEvalConfig:
    """Closed-loop evaluation during training (``eval.agent_every`` steps; 0 turns it off): the
    world-model MPC agent plans in the newest checkpoint for ``episodes`` episodes of the env;
    the return goes to TensorBoard (``eval/return``) and ``agent_eval.json``, a video of the
    first ``video_steps`` steps to ``videos/``. ``agent``: wm_mpc options (the planner's under
    ``agent.planner``). Episode seeds start at ``seed`` (20,000): apart from the data's (from
    ``run.seed``) and from the seeds a final test uses (10,000 on), since the best evaluation's
    checkpoint is kept (``checkpoints/best``) and a test on the seeds it was chosen on would
    flatter it."""

    _target_: str = "embodied.data.AgentEvaluation"
    env: str = II("env.id")
    episodes: int = 1
    steps: int | None = II("env.max_episode_steps")
    video_steps: int = 100
    width: int = 160
    height: int = 120
    seed: int = 20_000
    agent: dict[str, Any] = field(default_factory=dict)


@dataclass
class SimulatorCollectionConfig:
    """Random-action episodes collected with MuJoCo's native rollout (configs/data/simulator)."""

    _target_: str = "embodied.data.SimulatorCollection"
    env: str = II("env.id")
    num_episodes: int = 64
    steps: int = 200
    action_smoothing: float = 0.5
    nthread: int = 2
    save_to: str | None = None
    executor: str = II("executor")
    workers: int = 4
    ray: Any = "${ray}"


def _simulator_mpc() -> dict[str, Any]:
    """Simulator MPC sized to collect quickly on a CPU. Its horizon of 50 steps (1 s) sees the
    pole fall: at 25 it scored 150/156 on cart-pole balance (seeds 20000/20001), at 50 234/236."""
    return {
        "_target_": "embodied.agents.SimulatorMPCAgent",
        "planner": {"horizon": 50, "num_samples": 32, "num_elites": 8, "iterations": 1},
        "seed": "${run.seed}",
    }


@dataclass
class AgentCollectionConfig:
    """Episodes of a better policy (``agent``, default simulator MPC) with noise on its actions,
    every ``1/random_fraction``-th episode random instead (configs/data/agent)."""

    _target_: str = "embodied.data.AgentCollection"
    _recursive_: bool = False  # the agent is built by the collection, with the env
    env: str = II("env.id")
    agent: Any = field(default_factory=_simulator_mpc)
    num_episodes: int = 16
    steps: int = 250
    random_fraction: float = 0.25
    action_noise: float = 0.3
    save_to: str | None = None


@dataclass
class SavedEpisodesConfig:
    """A dataset folder written earlier (configs/data/saved)."""

    _target_: str = "embodied.data.SavedEpisodes"
    path: str = MISSING


@dataclass
class TrainWorldModelConfig:
    """Load or collect data, train a world model, evaluate it, checkpoint (resumes by default).

    cpu_threads: torch's intra-op threads (None keeps torch's default); small models on a
    shared CPU often train fastest with 1. executor: where the simulator data source collects,
    local or ray (on ``data.workers`` Ray tasks, at ``ray.address``).
    """

    run: RunConfig = field(default_factory=RunConfig)
    env: EnvConfig = field(default_factory=EnvConfig)
    data: Any = MISSING
    worldmodel: WorldModelConfig = field(default_factory=WorldModelConfig)
    trainer: TrainerConfig = field(default_factory=TrainerConfig)
    eval: EvalConfig = field(default_factory=EvalConfig)
    agent_eval: AgentEvalConfig = field(default_factory=AgentEvalConfig)
    steps: int = 10_000
    checkpoint_every: int = 1_000
    keep_checkpoints: int = 2
    resume: bool = True
    tensorboard: bool = True
    log_every: int = 50
    cpu_threads: int | None = None
    executor: str = "local"
    ray: RaySettings = field(default_factory=RaySettings)


def register_configs() -> None:
    """Store the schemas under the names the YAML files' defaults lists use."""
    cs = ConfigStore.instance()
    cs.store(name="train_worldmodel_schema", node=TrainWorldModelConfig)
    cs.store(group="worldmodel", name="worldmodel_schema", node=WorldModelConfig)
    cs.store(group="data", name="simulator_schema", node=SimulatorCollectionConfig)
    cs.store(group="data", name="saved_schema", node=SavedEpisodesConfig)
    cs.store(group="data", name="agent_schema", node=AgentCollectionConfig)


register_configs()
