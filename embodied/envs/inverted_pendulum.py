"""Inverted pendulum on Gymnasium's own MuJoCo model, with Gymnasium v5's task.

The same MJCF file, frame skip, reset noise, reward (+1 while upright) and termination
(|pole angle| > 0.2 or a non-finite state) as ``InvertedPendulum-v5``, so the two can be
compared step for step; the observation is ``{"proprio": [cart x, pole angle, ẋ, θ̇]}``.
"""

from __future__ import annotations

from pathlib import Path

import gymnasium as gym
import numpy as np

from embodied.mujoco_env import MujocoEnv

GYMNASIUM_ASSETS = Path(gym.__file__).resolve().parent / "envs" / "mujoco" / "assets"
MAX_ANGLE = 0.2


class InvertedPendulumEnv(MujocoEnv):
    """Keep the pole within ±0.2 rad of upright; episodes end when it leaves that range."""

    def __init__(
        self,
        frame_skip: int = 2,
        max_episode_steps: int = 1000,
        reset_noise_scale: float = 0.01,
        render_mode: str | None = None,
        width: int = 320,
        height: int = 240,
    ) -> None:
        super().__init__(
            GYMNASIUM_ASSETS / "inverted_pendulum.xml",
            frame_skip,
            max_episode_steps,
            render_mode,
            width,
            height,
            camera={"distance": 2.04},  # Gymnasium v5's default camera: the free one, closer
        )
        self.reset_noise_scale = reset_noise_scale
        high = np.full(4, np.inf, dtype=np.float32)
        self.observation_space = gym.spaces.Dict(
            {"proprio": gym.spaces.Box(-high, high, dtype=np.float32)}
        )

    def _reset_physics(self, rng: np.random.Generator) -> None:
        scale = self.reset_noise_scale
        self.data.qpos[:] = self.model.qpos0 + rng.uniform(-scale, scale, self.model.nq)
        self.data.qvel[:] = rng.uniform(-scale, scale, self.model.nv)

    def proprio_from_physics(self, qpos: np.ndarray, qvel: np.ndarray) -> np.ndarray:
        return np.concatenate((qpos, qvel), axis=-1, dtype=np.float32)

    def outcome_from_physics(
        self, qpos: np.ndarray, qvel: np.ndarray, ctrl: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        upright = np.abs(qpos[..., 1]) <= MAX_ANGLE  # False for NaN: a broken state terminates
        return upright.astype(np.float64), ~upright
