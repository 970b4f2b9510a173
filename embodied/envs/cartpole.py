"""Cart-pole in MuJoCo: balance (start upright) or swing-up (start hanging); dense reward."""

from __future__ import annotations

import gymnasium as gym
import numpy as np

from embodied.mujoco_env import MujocoEnv
from scenes import asset_path

TASKS = ("balance", "swingup")


def _tolerance(x: np.ndarray, margin: float) -> np.ndarray:
    """1 at x = 0, decaying smoothly (Gaussian) to 0.1 at |x| = margin."""
    return np.exp(np.log(0.1) * (x / margin) ** 2)


class CartPoleEnv(MujocoEnv):
    """Observation ``{"proprio": [x, cos θ, sin θ, ẋ, θ̇]}``; action: cart force in [-1, 1].

    Reward in [0, 1] (as DeepMind Control's cart-pole): upright · centred · small control ·
    small angular velocity, so that both tasks have a dense signal.
    """

    def __init__(
        self,
        task: str = "balance",
        frame_skip: int = 2,
        max_episode_steps: int = 500,
        render_mode: str | None = None,
        width: int = 320,
        height: int = 240,
    ) -> None:
        if task not in TASKS:
            raise ValueError(f"cartpole task={task!r}; valid: {', '.join(TASKS)}")
        self.task = task
        super().__init__(
            asset_path("cartpole.xml"), frame_skip, max_episode_steps, render_mode, width, height
        )
        high = np.array([np.inf] * 5, dtype=np.float32)
        self.observation_space = gym.spaces.Dict(
            {"proprio": gym.spaces.Box(-high, high, dtype=np.float32)}
        )

    def _reset_physics(self, rng: np.random.Generator) -> None:
        if self.task == "balance":
            self.data.qpos[:] = [rng.uniform(-0.1, 0.1), rng.uniform(-0.05, 0.05)]
        else:
            self.data.qpos[:] = [rng.uniform(-0.1, 0.1), np.pi + rng.uniform(-0.05, 0.05)]
        self.data.qvel[:] = rng.normal(0.0, 0.01, size=2)

    def proprio_from_physics(self, qpos: np.ndarray, qvel: np.ndarray) -> np.ndarray:
        x, theta = qpos[..., 0], qpos[..., 1]
        columns = (x, np.cos(theta), np.sin(theta), qvel[..., 0], qvel[..., 1])
        return np.stack(columns, axis=-1).astype(np.float32)

    def outcome_from_physics(
        self, qpos: np.ndarray, qvel: np.ndarray, ctrl: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        upright = (np.cos(qpos[..., 1]) + 1.0) / 2.0
        centred = (1.0 + _tolerance(qpos[..., 0], margin=2.0)) / 2.0
        small_control = (4.0 + _tolerance(ctrl[..., 0], margin=1.0)) / 5.0
        small_velocity = (1.0 + _tolerance(qvel[..., 1], margin=5.0)) / 2.0
        reward = upright * centred * small_control * small_velocity
        return reward, np.zeros(reward.shape, dtype=bool)
