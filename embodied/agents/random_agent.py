"""Uniformly random actions: the floor every agent is compared against."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np


class RandomAgent:
    """Samples actions uniformly from the env's action space, seeded per episode."""

    def __init__(self, env: gym.Env) -> None:
        self.action_space = env.action_space

    def reset(self, seed: int | None = None) -> None:
        self.action_space.seed(seed)

    def act(self, observation: Any) -> np.ndarray:
        return self.action_space.sample()
