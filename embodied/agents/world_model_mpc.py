"""MPC in the latent space of a learned world model, learning online as TD-MPC2 does.

Each control step encodes the observation, and the planning core (MPPI or CEM) optimises action
sequences scored by the model (rewards, termination, terminal Q), seeded with trajectories of
the model's policy prior. With ``learn=true`` the agent collects its own experience: random
actions for ``seed_steps`` steps, then ``seed_steps`` pre-training updates, then
``updates_per_step`` world-model updates per env step (collect → update → plan).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import torch

from embodied.agents.planners import build_planner
from runkit.device import resolve_device
from worldmodels.checkpoint import load_world_model, save_checkpoint
from worldmodels.config import TrainerConfig, WorldModelConfig
from worldmodels.data import EpisodeDataset, WindowSampler
from worldmodels.model import WorldModel
from worldmodels.trainer import WorldModelTrainer

log = logging.getLogger(__name__)


class WorldModelMPCAgent:
    """Plans with a world model loaded from ``checkpoint`` or built from ``worldmodel``."""

    def __init__(
        self,
        env: gym.Env,
        checkpoint: str | None = None,
        worldmodel: WorldModelConfig | dict | None = None,
        trainer: TrainerConfig | dict | None = None,
        planner: str = "mppi",
        horizon: int = 3,
        num_samples: int = 512,
        num_elites: int = 64,
        iterations: int = 6,
        num_policy_samples: int = 24,
        temperature: float = 0.5,
        learn: bool = True,
        seed_steps: int = 1000,
        updates_per_step: int = 1,
        explore_std: float = 0.1,
        save_to: str | None = None,
        device: str = "auto",
        seed: int = 0,
    ) -> None:
        if checkpoint is None and not learn:
            raise ValueError("agent.checkpoint is required when agent.learn=false")
        self.device = resolve_device(device)
        self.action_space = env.action_space
        self.model = self._build_model(env, checkpoint, worldmodel).to(self.device)
        self.modalities = list(self.model.obs_shapes)
        self.planner = build_planner(
            planner,
            self.action_space,
            temperature,
            self.device,
            horizon=horizon,
            num_samples=num_samples,
            num_elites=num_elites,
            iterations=iterations,
            num_policy_samples=num_policy_samples,
            seed=seed,
        )
        self.generator = torch.Generator(self.device).manual_seed(seed)
        self.rng = np.random.default_rng(seed)
        self.learn, self.seed_steps, self.updates_per_step = learn, seed_steps, updates_per_step
        self.explore_std, self.save_to, self.seed = explore_std, save_to, seed
        trainer_cfg = (
            trainer if isinstance(trainer, TrainerConfig) else TrainerConfig(**(trainer or {}))
        )
        self.trainer = (
            WorldModelTrainer(self.model, trainer_cfg, self.device, seed) if learn else None
        )
        self.episodes: list[dict[str, np.ndarray]] = []
        self.current: dict[str, list] = {}
        self.sampler: WindowSampler | None = None
        self.total_steps = 0
        self.updates = 0

    # ----- construction ------------------------------------------------------------------------
    @staticmethod
    def _build_model(
        env: gym.Env, checkpoint: str | None, worldmodel: WorldModelConfig | dict | None
    ) -> WorldModel:
        if checkpoint is not None:
            model = load_world_model(checkpoint)
        else:
            cfg = (
                worldmodel
                if isinstance(worldmodel, WorldModelConfig)
                else WorldModelConfig(**(worldmodel or {}))
            )
            spaces = env.observation_space
            if not isinstance(spaces, gym.spaces.Dict):
                raise TypeError("wm_mpc needs a Dict observation space (modality -> Box)")
            missing = [m for m in cfg.modalities if m not in spaces.spaces]
            if missing:
                raise ValueError(f"the env observes no {missing}; it has {sorted(spaces.spaces)}")
            shapes = {m: spaces[m].shape for m in cfg.modalities}
            model = WorldModel(cfg, shapes, env.action_space.shape[0])
        if model.action_dim != env.action_space.shape[0]:
            raise ValueError(
                f"the world model acts in {model.action_dim} dimensions, "
                f"the env in {env.action_space.shape[0]}"
            )
        return model

    # ----- acting ------------------------------------------------------------------------------
    def reset(self, seed: int | None = None) -> None:
        self.planner.reset()
        self._finish_episode()

    def _tensors(self, observation: dict[str, Any]) -> dict[str, torch.Tensor]:
        return {
            m: torch.as_tensor(np.asarray(observation[m]), device=self.device).unsqueeze(0)
            for m in self.modalities
        }

    @torch.no_grad()
    def act(self, observation: dict[str, Any]) -> np.ndarray:
        if self.learn and not self.current:  # the first observation of a recorded episode
            self.current = {m: [observation[m]] for m in self.modalities}
            self.current.update(action=[], reward=[], terminated=[])
        if self.learn and self.total_steps < self.seed_steps:
            return self.action_space.sample()
        self.model.eval()
        z = self.model.encode(self._tensors(observation))
        num, horizon = self.planner.config.num_policy_samples, self.planner.config.horizon
        plan = self.planner.plan(
            lambda actions: self.model.score(z, actions),
            lambda: self.model.policy_rollout(z, num, horizon, self.generator),
        )
        action = plan[0, 0].cpu().numpy()
        if self.learn and self.explore_std > 0:
            action = action + self.explore_std * self.rng.standard_normal(action.shape)
        return np.clip(action, self.action_space.low, self.action_space.high).astype(np.float32)

    # ----- learning ----------------------------------------------------------------------------
    def observe(
        self, observation: dict[str, Any], action: np.ndarray, reward: float, terminated: bool
    ) -> None:
        """Record a transition; update the world model as the schedule says."""
        if not self.learn:
            return
        for m in self.modalities:
            self.current[m].append(observation[m])
        self.current["action"].append(np.asarray(action, dtype=np.float32))
        self.current["reward"].append(reward)
        self.current["terminated"].append(terminated)
        self.total_steps += 1
        if self.total_steps == self.seed_steps:
            self._finish_episode()  # the seed data must be trainable now
            self._update(self.seed_steps)
        elif self.total_steps > self.seed_steps:
            self._update(self.updates_per_step)

    def _finish_episode(self) -> None:
        if self.current.get("action"):
            episode = {k: np.asarray(v) for k, v in self.current.items()}
            episode["reward"] = episode["reward"].astype(np.float32)
            episode["terminated"] = episode["terminated"].astype(bool)
            self.episodes.append(episode)
            self._rebuild_sampler()
        self.current = {}

    def _rebuild_sampler(self) -> None:
        horizon = self.trainer.cfg.horizon
        usable = [e for e in self.episodes if len(e["action"]) >= horizon]
        if not usable:
            return
        data = EpisodeDataset(usable, self.modalities)
        if self.sampler is None:  # first data: fix the observation normalisation
            self.model.fit_normalizers(data.obs)
        self.sampler = WindowSampler(data, horizon, seed=self.seed + len(self.episodes))

    def _update(self, count: int) -> None:
        if self.sampler is None:
            return
        self.model.train()
        for _ in range(count):
            batch = self.sampler.sample(self.trainer.cfg.batch_size).to(self.device)
            self.trainer.update(batch)
            self.updates += 1

    def close(self) -> None:
        """Save the learned world model to ``save_to`` (a checkpoint folder), if set."""
        if self.learn and self.save_to is not None and self.updates > 0:
            path = save_checkpoint(Path(self.save_to), self.updates, self.model, {})
            log.info("world model saved to %s", path)
