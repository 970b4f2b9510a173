"""MPC in the latent space of a learned world model, learning online as TD-MPC2 does.

Each control step encodes the observation, and the planning core (MPPI or CEM) optimises action
sequences scored by the model (rewards, termination, terminal Q), seeded with trajectories of
the model's policy prior; it plans in [-1, 1] units of the env's action box, as TD-MPC2 does.
With ``learn=true`` the agent collects its own experience into a replay buffer (each step
trainable at once): random actions for ``seed_steps`` steps, then ``seed_steps`` pre-training
updates, then ``updates_per_step`` world-model updates per env step (collect → update → plan),
exploring with the planner's own final std (``overlap_update`` runs each update in a background
thread while the planner plans the next action, ``update_process`` in a learner process:
:mod:`embodied.agents.update_process`). Observations enter the model raw (as in
TD-MPC2): the encoder's normalisers stay as a checkpoint left them, since statistics fitted on
the random seed data would misscale the states that a better policy reaches later.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import torch

from embodied.agents.agent_config import agent_config
from embodied.agents.configs import WorldModelMPCConfig
from embodied.agents.planners import build_planner
from embodied.agents.update_process import UpdateProcess
from runkit.device import resolve_device
from worldmodels.checkpoint import checkpoint_env, load_world_model, save_checkpoint
from worldmodels.config import WorldModelConfig
from worldmodels.data import Batch, ReplayBuffer
from worldmodels.model import WorldModel
from worldmodels.text_encoder import DEFAULT_MAX_TOKENS, TEXT_MODALITY, with_token_ids
from worldmodels.trainer import WorldModelTrainer, check_value_target, on_with_cuda

log = logging.getLogger(__name__)


def _describe(shapes: dict[str, tuple[int, ...]], action_dim: int) -> str:
    observed = ", ".join(f"{k} {tuple(v)}" for k, v in sorted(shapes.items()))
    return f"observes {observed}; acts in {action_dim} dims"


def observation_shapes(space: gym.Space) -> dict[str, tuple[int, ...]]:
    """The per-step shape of each modality of a Dict observation space as the model sees it:
    a text observation as its padded token ids."""
    spaces = getattr(space, "spaces", {})
    shapes = {k: tuple(v.shape) for k, v in spaces.items() if v.shape is not None}
    return shapes | ({TEXT_MODALITY: (DEFAULT_MAX_TOKENS,)} if TEXT_MODALITY in spaces else {})


def check_checkpoint_fits(
    model: WorldModel, checkpoint: str, env: gym.Env, env_id: str | None
) -> None:
    """Raise a one-line error naming both envs when ``model`` cannot act in ``env``."""
    trained = checkpoint_env(checkpoint)
    given = observation_shapes(env.observation_space)
    action_dim = env.action_space.shape[0]
    fits = model.action_dim == action_dim and all(
        given.get(k) == tuple(v) for k, v in model.obs_shapes.items()
    )
    if not fits:
        raise ValueError(
            f"checkpoint {checkpoint} was trained on env {trained or '(not recorded)'} "
            f"({_describe(model.obs_shapes, model.action_dim)}) but was given env "
            f"{env_id or type(env.unwrapped).__name__} ({_describe(given, action_dim)})"
        )
    if trained is not None and env_id is not None and trained != env_id:
        log.warning(
            "checkpoint %s was trained on env %s, now runs on %s", checkpoint, trained, env_id
        )


class WorldModelMPCAgent:
    """Plans with a world model loaded from ``cfg.checkpoint`` or built from ``cfg.worldmodel``.

    ``options``: the fields of :class:`WorldModelMPCConfig` by name (hydra's route), instead
    of ``cfg``.
    """

    def __init__(
        self, env: gym.Env, cfg: WorldModelMPCConfig | None = None, **options: Any
    ) -> None:
        cfg = agent_config(WorldModelMPCConfig, cfg, options)
        if cfg.checkpoint is None and not cfg.learn:
            raise ValueError("agent.checkpoint is required when agent.learn=false")
        check_value_target(cfg.trainer, online=cfg.learn)  # the replay has no whole returns
        self.cfg = cfg
        seed = cfg.seed
        self.device = resolve_device(cfg.device)
        if self.device.type == "cpu" and cfg.cpu_threads is not None:
            if cfg.cpu_threads < 1:
                raise ValueError(f"agent.cpu_threads must be >= 1 or null, got {cfg.cpu_threads}")
            torch.set_num_threads(cfg.cpu_threads)
        self.action_space = env.action_space
        with torch.random.fork_rng(devices=[]):  # a new model's weights follow ``seed``
            torch.manual_seed(seed)
            model = self._build_model(env, cfg.checkpoint, cfg.worldmodel, cfg.env_id)
            self._model = model.to(self.device)
        self.modalities = list(self._model.obs_shapes)
        low, high = (self._to_unit(b) for b in (self.action_space.low, self.action_space.high))
        self.planner = build_planner(
            cfg.planner_kind,
            replace(cfg.planner, seed=seed),
            gym.spaces.Box(low, high, dtype=np.float32),
            self.device,
        )
        self.generator = torch.Generator(self.device).manual_seed(seed)
        self.seed_action_space = copy.deepcopy(env.action_space)  # the seed steps' actions
        self.seed_action_space.seed(seed)
        self.learn, self.seed_steps = cfg.learn, cfg.seed_steps
        self.updates_per_step = cfg.updates_per_step
        self.explore_std, self.save_to, self.env_id = cfg.explore_std, cfg.save_to, cfg.env_id
        trainer_cfg = cfg.trainer
        self.discount = trainer_cfg.discount
        compiled = on_with_cuda(cfg.compile, self.device)
        if trainer_cfg.compile is None:
            trainer_cfg = replace(trainer_cfg, compile=compiled)
        self.trainer_cfg = trainer_cfg
        in_process = cfg.learn and cfg.update_process
        if in_process and self.device.type != "cpu":
            log.warning(
                "agent.update_process runs on the CPU only; on %s the update overlaps "
                "in a thread (agent.overlap_update)",
                self.device,
            )
            in_process = False
        overlap = cfg.learn and (cfg.overlap_update or cfg.update_process)
        # the planner's copy of the model: the learner changes ``model`` while it plans
        self.planning_model = (
            copy.deepcopy(self._model).requires_grad_(False) if overlap else self._model
        )
        # the learner process owns the trainer and the replay buffer; else they live here
        self._process = (
            UpdateProcess(self._model, trainer_cfg, seed, torch.get_num_threads())
            if in_process
            else None
        )
        self.trainer = (
            WorldModelTrainer(self._model, trainer_cfg, self.device, seed)
            if cfg.learn and not in_process
            else None
        )
        self._learner = (
            ThreadPoolExecutor(1, "wm_mpc_update") if overlap and not in_process else None
        )
        self._in_flight: Future | None = None  # the background update, if one runs
        self._weight_pairs: list[tuple[torch.Tensor, torch.Tensor]] | None = None
        self._score = (
            torch.compile(self.planning_model.score, dynamic=False)
            if compiled
            else self.planning_model.score
        )
        self.replay: ReplayBuffer | UpdateProcess = self._process or ReplayBuffer(
            self.modalities, trainer_cfg.horizon, seed
        )  # where transitions go
        self.recording = False  # whether the current episode's first observation is recorded
        self.total_steps = 0
        self._updates = 0

    # ----- construction ------------------------------------------------------------------------
    @staticmethod
    def _build_model(
        env: gym.Env, checkpoint: str | None, cfg: WorldModelConfig, env_id: str | None = None
    ) -> WorldModel:
        if checkpoint is not None:
            model = load_world_model(checkpoint)
            check_checkpoint_fits(model, checkpoint, env, env_id)
        else:
            spaces = env.observation_space
            if not isinstance(spaces, gym.spaces.Dict):
                raise TypeError("wm_mpc needs a Dict observation space (modality -> Box)")
            missing = [m for m in cfg.modalities if m not in spaces.spaces]
            if missing:
                raise ValueError(f"the env observes no {missing}; it has {sorted(spaces.spaces)}")
            observed = observation_shapes(spaces)
            shapes = {m: observed[m] for m in cfg.modalities}
            bounds = (env.action_space.low.tolist(), env.action_space.high.tolist())
            model = WorldModel(cfg, shapes, env.action_space.shape[0], bounds)
        if model.action_dim != env.action_space.shape[0]:
            raise ValueError(
                f"the world model acts in {model.action_dim} dimensions, "
                f"the env in {env.action_space.shape[0]}"
            )
        return model

    def _to_unit(self, action: np.ndarray) -> np.ndarray:
        """An env action in the model's action units."""
        # (the action bounds are constant buffers: read safely while the learner runs)
        unit = self._model.action_to_unit(torch.as_tensor(action, device=self.device).float())
        return unit.cpu().numpy()

    # ----- acting ------------------------------------------------------------------------------
    def reset(self, seed: int | None = None) -> None:
        self.planner.reset()
        self.recording = False

    def _tensors(self, observation: dict[str, Any]) -> dict[str, torch.Tensor]:
        return {
            m: torch.as_tensor(np.asarray(observation[m]), device=self.device).unsqueeze(0)
            for m in self.modalities
        }

    def _with_token_ids(self, observation: dict[str, Any]) -> dict[str, Any]:
        """The observation with its instruction as the model's token ids (if it reads text)."""
        if TEXT_MODALITY not in self.modalities:
            return observation
        length = self._model.obs_shapes[TEXT_MODALITY][0]
        return dict(with_token_ids(observation, self._model.cfg.text_tokenizer, length))

    def act(self, observation: dict[str, Any]) -> np.ndarray:
        observation = self._with_token_ids(observation)
        if self.learn and not self.recording:  # the first observation of a recorded episode
            self.replay.start_episode(observation)
            self.recording = True
        if self.learn and self.total_steps < self.seed_steps:
            return self.seed_action_space.sample()
        if not self.learn:  # planning without learning: with the newest weights
            self.wait_for_update()
        with torch.inference_mode():  # no autograd bookkeeping at all while planning
            return self._plan_action(observation)

    def latent(self, observation: dict[str, Any]) -> torch.Tensor:
        """The latent state ``[1, Z]`` the planner plans from for ``observation`` (token ids or
        the instruction's string for text)."""
        self.planning_model.eval()
        return self.planning_model.encode(self._tensors(self._with_token_ids(observation)))

    def _plan_action(self, observation: dict[str, Any]) -> np.ndarray:
        model = self.planning_model
        z = self.latent(observation)
        num, horizon = self.planner.config.num_policy_samples, self.planner.config.horizon
        plan = self.planner.plan(
            # the terminal value is the mean of two random Q members, drawn per score, as in
            # TD-MPC2
            lambda actions: self._score(z, actions, self.discount, model.q_pair(self.generator)),
            lambda: model.policy_rollout(z, num, horizon, self.generator),
        )
        action = plan[0, 0]
        if self.learn:
            std = self.planner.std[0, 0] if self.explore_std is None else self.explore_std
            noise = torch.randn(action.shape, generator=self.generator, device=self.device)
            action = action + std * noise
        action = model.action_from_unit(action).cpu().numpy()
        return np.clip(action, self.action_space.low, self.action_space.high).astype(np.float32)

    # ----- learning ----------------------------------------------------------------------------
    def observe(
        self, observation: dict[str, Any], action: np.ndarray, reward: float, terminated: bool
    ) -> None:
        """Record a transition (trainable at once); update the world model as the schedule says."""
        if not self.learn:
            return
        observation = self._with_token_ids(observation)
        self.replay.add(self._to_unit(action), reward, terminated, observation)
        self.total_steps += 1
        if self.total_steps == self.seed_steps:
            self._update(self.seed_steps, background=False)
        elif self.total_steps > self.seed_steps:
            self._update(self.updates_per_step, background=True)

    def _update(self, count: int, background: bool) -> None:
        """``count`` updates; in the learner process (``update_process``) or the background
        thread (``overlap_update``) if one runs and ``background`` (the process is waited for
        otherwise), else here; each batch drawn as it is needed (the ``seed_steps``
        pre-training updates would otherwise hold every batch at once)."""
        self.wait_for_update()
        if self._process is not None:  # the learner skips them while it has no full window
            self._process.submit(count)
            if not background:
                self.wait_for_update()
            return
        if self.replay.num_windows == 0:
            return
        draws = (self.replay.sample(self.trainer_cfg.batch_size) for _ in range(count))
        if background and self._learner is not None:
            # drawn here: the buffer is not shared across threads
            self._in_flight = self._learner.submit(self._train, list(draws))
        else:
            self._train(draws)
            self._sync_planning_model()

    def _train(self, batches: Iterable[Batch]) -> None:
        self._model.train()
        for batch in batches:
            self.trainer.update(batch.to(self.device))
            self._updates += 1

    def _sync_planning_model(self) -> None:
        if self.planning_model is not self._model:
            if self._weight_pairs is None:  # (planner's, learner's) tensor, looked up once
                planning = self.planning_model.state_dict()
                learned = self._model.state_dict()
                self._weight_pairs = [(planning[k], v) for k, v in learned.items()]
            with torch.no_grad():
                for planning_value, learned_value in self._weight_pairs:
                    planning_value.copy_(learned_value)

    def wait_for_update(self) -> None:
        """Finish the update running in the background (re-raising its error), if any, and
        give the planner its weights."""
        if self._in_flight is not None:
            in_flight, self._in_flight = self._in_flight, None
            in_flight.result()
            self._sync_planning_model()
        elif self._process is not None and self._process.busy:
            self._process.wait()
            self._updates = self._process.updates
            self._sync_planning_model()

    @property
    def model(self) -> WorldModel:
        """The learned world model (waits for the update in flight, so it is read whole)."""
        self.wait_for_update()
        return self._model

    @property
    def updates(self) -> int:
        """World-model updates made (waits for the one in flight)."""
        self.wait_for_update()
        return self._updates

    def close(self) -> None:
        """Finish the update in flight; save the learned world model to ``save_to`` (a
        checkpoint folder), if set."""
        try:
            self.wait_for_update()
        finally:
            if self._learner is not None:
                self._learner.shutdown()
            if self._process is not None:
                self._process.close()
        if self.learn and self.save_to is not None and self.updates > 0:
            path = save_checkpoint(
                Path(self.save_to), self.updates, self._model, {}, env=self.env_id
            )
            log.info("world model saved to %s", path)
