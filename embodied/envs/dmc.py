"""The DeepMind Control Suite behind the project's Gymnasium API, set up as TD-MPC2 sets it up.

``embodied.make("dmc/cartpole-swingup")``: state observations are the task's observation dict
flattened (in its key order) into one float32 ``proprio`` vector; actions are scaled to
[-1, 1]; each agent step repeats its action ``action_repeat`` times (2, as TD-MPC2 and
DreamerV3 use for DMC) and returns the summed reward; an episode is the suite's 1,000
simulator steps, i.e. 500 agent steps at action repeat 2. TD-MPC2's published curves count
*environment* steps = agent steps × action repeat (its results CSVs are post-processed so;
see its issue #45), so 100k env steps are 50k agent steps; ``info["env_steps"]`` counts them.
Pixels: ``camera_image(64, 64)`` renders the task's camera 0 (``env.pixels=64`` in configs).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, SupportsFloat

import gymnasium as gym
import numpy as np

import embodied._gl  # noqa: F401  (before dm_control imports mujoco)

#: The suite tasks registered as ``dmc/<domain>-<task>`` (TD-MPC2's names; cup = ball_in_cup).
DMC_TASKS: tuple[str, ...] = (
    "cartpole-balance",
    "cartpole-swingup",
    "reacher-easy",
    "cup-catch",
    "walker-walk",
    "cheetah-run",
    "finger-spin",
    "pendulum-swingup",
)
_DOMAIN_NAMES = {"cup": "ball_in_cup", "pointmass": "point_mass"}
_SUITE_STEPS = 1000  # simulator steps per episode in every task listed above


def suite_names(task: str) -> tuple[str, str]:
    """``"cup-catch"`` -> ``("ball_in_cup", "catch")``; an unknown task raises naming the valid."""
    if task not in DMC_TASKS:
        raise ValueError(f"unknown DMC task {task!r}; valid: {', '.join(DMC_TASKS)}")
    domain, name = task.split("-", 1)
    return _DOMAIN_NAMES.get(domain, domain), name.replace("-", "_")


def flatten_observation(observation: Mapping[str, Any]) -> np.ndarray:
    """The suite's observation dict as one float32 vector, in the dict's order."""
    return np.concatenate([np.asarray(v, dtype=np.float32).ravel() for v in observation.values()])


class DMCEnv(gym.Env):
    """One DeepMind Control Suite task; observations ``{"proprio": float32[D]}``.

    max_episode_steps is in agent steps (None: the suite's 1,000 simulator steps divided by
    ``action_repeat``). ``reset(seed=)`` reseeds the task's random initial state.
    """

    metadata: ClassVar[dict[str, Any]] = {"render_modes": ["rgb_array"], "render_fps": 25}

    def __init__(
        self,
        task: str,
        action_repeat: int = 2,
        max_episode_steps: int | None = None,
        render_mode: str | None = None,
        width: int = 320,
        height: int = 240,
        camera: int = 0,
    ) -> None:
        if action_repeat < 1:
            raise ValueError(f"action_repeat must be >= 1, got {action_repeat}")
        if render_mode not in (None, *self.metadata["render_modes"]):
            raise ValueError(f"render_mode={render_mode!r}; valid: None, 'rgb_array'")
        self.domain, self.task_name = suite_names(task)
        try:
            from dm_control import suite
        except ImportError as error:  # pragma: no cover - dm-control is a project dependency
            raise ImportError("dmc envs need dm-control: pip install dm-control") from error
        self._suite = suite
        self.task = task
        self.action_repeat = action_repeat
        self.max_episode_steps = max_episode_steps or _SUITE_STEPS // action_repeat
        self.render_mode, self.width, self.height, self.camera = render_mode, width, height, camera
        self._env = self._load(seed=None)
        spec = self._env.action_spec()
        self._action_low = spec.minimum.astype(np.float64)
        self._action_high = spec.maximum.astype(np.float64)
        self.action_space = gym.spaces.Box(-1.0, 1.0, spec.shape, np.float32)
        size = sum(int(np.prod(v.shape)) for v in self._env.observation_spec().values())
        self.observation_space = gym.spaces.Dict(
            {"proprio": gym.spaces.Box(-np.inf, np.inf, (size,), np.float32)}
        )
        self._elapsed = 0

    def _load(self, seed: int | None) -> Any:
        random = None if seed is None else np.random.RandomState(seed)
        return self._suite.load(self.domain, self.task_name, task_kwargs={"random": random})

    def _observe(self, time_step: Any) -> dict[str, np.ndarray]:
        return {"proprio": flatten_observation(time_step.observation)}

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        super().reset(seed=seed)
        if seed is not None:  # the suite's tasks draw their initial states from their own RNG
            self._env.task.random.seed(seed)
        self._elapsed = 0
        return self._observe(self._env.reset()), {"env_steps": 0}

    def step(
        self, action: np.ndarray
    ) -> tuple[dict[str, np.ndarray], SupportsFloat, bool, bool, dict[str, Any]]:
        unit = np.clip(np.asarray(action, dtype=np.float64), -1.0, 1.0)
        control = self._action_low + (unit + 1.0) * 0.5 * (self._action_high - self._action_low)
        reward = 0.0
        for _ in range(self.action_repeat):
            time_step = self._env.step(control)
            reward += float(time_step.reward or 0.0)
            if time_step.last():
                break
        self._elapsed += 1
        # the suite's tasks never terminate; an episode ends by its time limit
        truncated = time_step.last() or self._elapsed >= self.max_episode_steps
        info = {"env_steps": self._elapsed * self.action_repeat}
        return self._observe(time_step), reward, False, truncated, info

    def camera_image(self, width: int, height: int) -> np.ndarray:
        """The task camera's ``height``×``width``×3 uint8 image of the current state."""
        return self._env.physics.render(height=height, width=width, camera_id=self.camera)

    def render(self) -> np.ndarray | None:
        if self.render_mode != "rgb_array":
            return None
        return self.camera_image(self.width, self.height)

    def close(self) -> None:
        self._env.close()
