"""The config dataclasses of the agents (``agent=mpc_sim``, ``wm_mpc``, ``helper``,
``mcts_helper``), apart from the agents: hydra's schemas are built from them, and an entry
point checks its command line against those schemas before it imports torch, the simulator or
the user model."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from planning.sampling_config import MPPIConfig
from worldmodels.config import TrainerConfig, WorldModelConfig


def _simulator_planner() -> MPPIConfig:
    return MPPIConfig(
        horizon=50, num_samples=64, num_elites=8, iterations=2, max_std=0.5, num_policy_samples=0
    )


@dataclass
class SimulatorMPCConfig:
    """Settings of :class:`SimulatorMPCAgent` (``agent=mpc_sim``)."""

    planner: MPPIConfig = field(default_factory=_simulator_planner)
    """The sampling planner's settings; the horizon counts control steps. (No policy prior.)"""
    planner_kind: str = "mppi"
    """``mppi`` or ``cem`` (elites weighed equally; ``planner.temperature`` unused)."""
    discount: float = 0.99
    """Discount of the rewards along a sequence."""
    nthread: int = 2
    """Threads of MuJoCo's rollout."""
    seed: int = 0
    """Seed of the planner's sampling noise (it replaces ``planner.seed``)."""


@dataclass
class WorldModelMPCConfig:
    """Settings of :class:`WorldModelMPCAgent` (``agent=wm_mpc``)."""

    checkpoint: str | None = None
    """A world-model checkpoint (a ``step_*`` folder or a training run's folder) to start from;
    None builds a model from ``worldmodel`` and learns it from scratch."""
    worldmodel: WorldModelConfig = field(default_factory=WorldModelConfig)
    """The model built when there is no checkpoint."""
    trainer: TrainerConfig = field(default_factory=TrainerConfig)
    """How the model learns online (its ``discount`` also discounts the planner's returns)."""
    planner: MPPIConfig = field(default_factory=MPPIConfig)
    """The sampling planner's settings (TD-MPC2's), in [-1, 1] units of the action box."""
    planner_kind: str = "mppi"
    """``mppi`` or ``cem`` (elites weighed equally; ``planner.temperature`` unused)."""
    learn: bool = True
    """Collect experience and update the model online (False needs a ``checkpoint``)."""
    seed_steps: int = 1000
    """Random-action steps before the first update, and the updates made after them."""
    updates_per_step: int = 1
    """Model updates per env step after the seed steps."""
    explore_std: float | None = None
    """While learning, the std of the Gaussian noise added to the planned action (in [-1, 1]
    action units); None takes the std of the planner's final distribution (TD-MPC2)."""
    save_to: str | None = None
    """A checkpoint folder the learned model is saved to when the agent closes."""
    env_id: str | None = None
    """The env's id, recorded in the checkpoint it saves and named when a checkpoint does not
    fit the env."""
    device: str = "auto"
    """``auto`` (CUDA when present), ``cpu`` or ``cuda``."""
    seed: int = 0
    """Seed of a new model's weights, the planner (it replaces ``planner.seed``), exploration
    and replay sampling."""
    compile: bool | None = None
    """``torch.compile`` the planner's scoring and (unless ``trainer.compile`` says otherwise)
    the losses; None compiles on CUDA only. On the shared 2-core CPU (load 6, the
    ``agent=wm_mpc`` sizes) compiled steps ran 0.65-0.90x of eager, after 468 s of compilation
    at load 7-12 (about 10 s with a warm inductor cache), so it does not pay off there."""
    cpu_threads: int | None = None
    """torch's intra-op threads on a CPU (process-wide; None keeps torch's default). On an idle
    2-core CPU torch's two threads are 1.12x faster than one; on a CPU shared with other jobs
    two threads wait on each other (measured 27x slower at load 15), so set 1 there. With
    ``overlap_update`` the planner and the update each run ops on this many threads at once."""
    overlap_update: bool = False
    """Run each env step's updates in a background thread while the planner plans the next
    action (as asynchronous actor-learner setups do): the planner then uses the weights from
    before the update in flight, at most one env step's updates old; the update ratio is
    unchanged, and the seed pre-training still runs before the first plan. Off by default: on
    the shared 2-core CPU (load 6-20) the two threads contended for the GIL and the cores and
    ran 0.53-0.71x the in-turn speed; idle it ran 1.56x the old code on two threads
    (``update_process`` 1.70x; see docs/BENCHMARKS.md)."""
    update_process: bool = False
    """Overlap as ``overlap_update`` does, but with the learner in its own process
    (:mod:`embodied.agents.update_process`): it owns the trainer and a copy of the replay
    buffer, the weights travel through shared memory, and planning and learning no longer
    share the GIL. The weights, actions and update ratio are those of ``overlap_update``. The
    learner runs as many torch threads as the actor (``cpu_threads``: set 1 on two cores). CPU
    only: on CUDA it falls back to ``overlap_update`` (with a log line)."""


@dataclass
class HelperConfig:
    """Settings of :class:`HelperAgent` (``agent=helper``)."""

    mode: str = "infer"
    """``infer``, ``oracle``, ``random_goal`` or ``none`` (see :mod:`embodied.agents.helper`)."""
    num_particles: int = 512
    """Particles of the user model's filter over (task, belief)."""
    rationality: float = 2.0
    """How sharply the modelled user prefers cheaper plans (Boltzmann inverse temperature)."""
    noise: float = 0.05
    """Probability that the modelled user takes a random action."""
    change_prob: float = 0.02
    """Probability per action that the modelled user switches task."""
    belief_slip: float = 0.1
    """Probability that the modelled user misremembers where an object is."""
    confidence: float = 0.6
    """Goal probability at which the helper commits to a subtask, in [0, 1]."""
    ask: bool = True
    """Whether the helper may ask the user questions."""
    ask_cost: float = 3.0
    """What a question costs (in user time); asked when the answer is worth more."""
    max_questions: int = 1
    """Questions per episode."""
    answer_error: float = 0.05
    """Probability that an answer is misunderstood."""
    llm: Any = None
    """A language model (``worldmodels.language``) that writes and rates the dialogue game's
    utterances; None asks with plain templates."""
    dialogue: bool = True
    """Whether questions go through the dialogue game with ``llm`` (False: templates)."""
    dialogue_turns: int = 1
    """1: the one-move dialogue game; more: the multi-turn game (``dialogue_game``) with up to
    this many questions in one dialogue, which may also decide to ask nothing."""
    busy_annoyance: float = 4.0
    """Seconds a busy user's annoyance costs per question (times its index) in the multi-turn
    game (a patient user's: 0.5); 0 models a user who minds only the time (the pause)."""
    proposals_path: str | None = None
    """A JSON file caching the multi-turn game's proposed utterances (None: in memory)."""
    memory_capacity: int = 256
    """Sightings the episodic memory keeps."""
    memory_path: str | None = None
    """A JSON file the episodic memory is saved to when the agent closes."""
    seed: int = 0
    """Seed of the helper's and the user model's random streams."""


@dataclass
class MCTSHelperConfig(HelperConfig):
    """Settings of :class:`MCTSHelperAgent` (``agent=mcts_helper``): the helper's (``mode`` must
    be ``infer``; the baselines live in ``agent=helper``) and the search's."""

    simulations: int = 96
    """MCTS expansions per decision, one determinized simulation each."""
    max_depth: int = 1
    """Skills in a tree prefix before the rollout policy takes over."""
    uct_c: float = 0.5
    """UCT's exploration constant."""
    pw_k: float | None = 1.5
    """Progressive widening: a node has at most ``pw_k * visits ** pw_alpha`` children (None:
    off)."""
    pw_alpha: float = 0.5
    """Progressive widening's exponent."""
    value_weight: float = 0.0
    """The remaining-cost heuristic's (``value_fn``) share of the backed-up value."""
    max_weight: float = 0.0
    """The best continuation's share in a node's value ("mixmax"; 0: the mean)."""
    horizon_seconds: float = 60.0
    """How far one simulation runs, in simulated seconds."""
    ask_busy_seconds: float = 2.0
    """A question deferred to the user's next walk is asked once a walk has this many seconds
    left."""
