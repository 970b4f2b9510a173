"""A data source that plays an agent (e.g. simulator MPC) in an env, mixed with random episodes.

World models trained on random actions alone rarely see the states a good policy reaches (a
balanced pole, a swung-up one); episodes of a better policy, with noise on its actions and some
random episodes mixed in, cover both. A training config names it with
``_target_: embodied.data.AgentCollection`` and the agent as a config with its own ``_target_``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import gymnasium as gym
import numpy as np
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf

import embodied
from embodied.data.episodes import EpisodeWriter, observation_array
from embodied.runner import Agent


class AgentCollection:
    """``num_episodes`` episodes of ``env`` of at most ``steps`` steps.

    A ``random_fraction`` of them (every k-th) act uniformly at random; the others act with
    ``agent`` (a config dict with ``_target_``, instantiated with ``env=``), with Gaussian noise
    of std ``action_noise`` (in units of the action box's half-width) added to each action. The
    executed (clipped) action is recorded. With ``save_to`` the episodes are also written there.
    """

    def __init__(
        self,
        env: str,
        agent: Mapping[str, Any],
        num_episodes: int = 16,
        steps: int = 250,
        random_fraction: float = 0.25,
        action_noise: float = 0.3,
        save_to: str | None = None,
    ) -> None:
        if num_episodes < 1 or steps < 1:
            raise ValueError(
                f"data.num_episodes and data.steps must be >= 1, got {num_episodes}, {steps}"
            )
        if not 0.0 <= random_fraction <= 1.0:
            raise ValueError(f"data.random_fraction must be in [0, 1], got {random_fraction}")
        if action_noise < 0.0:
            raise ValueError(f"data.action_noise must be >= 0, got {action_noise}")
        if "_target_" not in agent:
            raise ValueError("data.agent needs a _target_ naming the agent class")
        if isinstance(agent, DictConfig):
            agent = OmegaConf.to_container(agent, resolve=True)  # type: ignore[assignment]
        self.env_id, self.agent = env, dict(agent)
        self.num_episodes, self.steps = num_episodes, steps
        self.random_fraction, self.action_noise = random_fraction, action_noise
        self.save_to = save_to

    def is_random(self, index: int) -> bool:
        """Whether episode ``index`` acts at random (spread evenly over the collection)."""
        before = int(np.floor(index * self.random_fraction))
        return int(np.floor((index + 1) * self.random_fraction)) > before

    def episodes(self, seed: int = 0) -> Iterator[dict[str, np.ndarray]]:
        writer = None if self.save_to is None else EpisodeWriter(self.save_to, self.env_id)
        env = embodied.make(self.env_id, max_episode_steps=self.steps)
        agent: Agent = instantiate(self.agent, env=env)
        env.action_space.seed(seed)
        rng = np.random.default_rng(seed)
        try:
            for index in range(self.num_episodes):
                episode = self._play(env, agent, seed + index, self.is_random(index), rng)
                if writer is not None:
                    writer.add(episode)
                yield episode
        finally:
            if hasattr(agent, "close"):
                agent.close()
            env.close()

    def _play(
        self, env: gym.Env, agent: Agent, seed: int, random: bool, rng: np.random.Generator
    ) -> dict[str, np.ndarray]:
        observation, _ = env.reset(seed=seed)
        agent.reset(seed=seed)
        low, high = env.action_space.low, env.action_space.high
        observations, actions, rewards, ends = [observation], [], [], []
        terminated = truncated = False
        while not (terminated or truncated):
            if random:
                action = env.action_space.sample()
            else:
                action = agent.act(observation)
                noise = rng.normal(0.0, self.action_noise, size=action.shape) * (high - low) / 2
                action = np.clip(action + noise, low, high)
            action = np.asarray(action, dtype=np.float32)
            observation, reward, terminated, truncated, _ = env.step(action)
            observations.append(observation)
            actions.append(action)
            rewards.append(reward)
            ends.append(terminated)
        episode = {
            "action": np.stack(actions),
            "reward": np.asarray(rewards, dtype=np.float32),
            "terminated": np.asarray(ends, dtype=bool),
        }
        for key in observations[0]:
            episode[key] = observation_array([o[key] for o in observations], np.float32)
        return episode
