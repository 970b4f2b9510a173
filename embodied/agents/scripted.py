"""A scripted expert: the task's own privileged controller (it knows the hidden goal)."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np


class ScriptedAgent:
    """Acts with ``task.scripted_action()`` of a scene env (reach, navigate, household)."""

    def __init__(self, env: gym.Env) -> None:
        task = getattr(env.unwrapped, "task", None)
        if task is None or not hasattr(task, "scripted_action"):
            raise TypeError(
                f"{type(env.unwrapped).__name__} has no scripted policy; "
                "agent=scripted works on the scene envs (reach, navigate, household)"
            )
        self.task = task
        self.action_space = env.action_space

    def reset(self, seed: int | None = None) -> None:
        return None

    def act(self, observation: Any) -> np.ndarray:
        action = self.task.scripted_action()
        return np.clip(action, self.action_space.low, self.action_space.high).astype(np.float32)
