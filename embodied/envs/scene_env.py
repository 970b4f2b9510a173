"""``SceneEnv``: a task in a scene on any backend, with multimodal observations chosen by config."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import gymnasium as gym
import numpy as np

from embodied.backends import backend_class
from embodied.envs.household import HouseholdTask
from embodied.envs.navigate import NavigateTask
from embodied.envs.reach import ReachTask
from embodied.envs.scene_task import SceneTask
from embodied.sensors import Sensors

TASKS: dict[str, type[SceneTask]] = {
    "reach": ReachTask,
    "navigate": NavigateTask,
    "household": HouseholdTask,
}


class SceneEnv(gym.Env[dict[str, Any], np.ndarray]):
    """Gymnasium env of ``task`` compiled to ``backend``.

    Observations: a ``Dict`` of ``modalities`` (``embodied.sensors.MODALITIES``); images of
    ``camera`` (default: the robot's own) at ``image_width``×``image_height``. Actions: the
    scene's actuator controls. ``render()`` draws the overview camera at ``width``×``height``.
    """

    metadata: ClassVar[dict[str, Any]] = {"render_modes": ["rgb_array"], "render_fps": 20}

    def __init__(
        self,
        task: str = "reach",
        backend: str = "mujoco",
        modalities: Sequence[str] = ("proprio", "goal"),
        camera: str | None = None,
        image_width: int = 64,
        image_height: int = 64,
        frame_skip: int | None = None,
        max_episode_steps: int | None = None,
        render_mode: str | None = None,
        width: int = 320,
        height: int = 240,
    ) -> None:
        if task not in TASKS:
            raise ValueError(f"unknown task {task!r}; valid: {', '.join(TASKS)}")
        if render_mode not in (None, *self.metadata["render_modes"]):
            raise ValueError(f"render_mode={render_mode!r}; valid: None, 'rgb_array'")
        task_cls = TASKS[task]
        self.frame_skip = frame_skip or task_cls.frame_skip
        self.max_episode_steps = max_episode_steps or task_cls.max_episode_steps
        if self.frame_skip < 1 or self.max_episode_steps < 1:
            raise ValueError("frame_skip and max_episode_steps must be >= 1")
        self.sim = backend_class(backend)(task_cls.build_scene())
        self.control_dt = self.sim.scene.timestep * self.frame_skip
        self.task = task_cls(self.sim, self.control_dt)
        self.render_mode, self.width, self.height = render_mode, width, height
        camera = camera or self.task.robot.camera
        self.sensors = Sensors(modalities, self.sim, self.task, camera, image_width, image_height)
        self.observation_space = self.sensors.space
        self.action_space = gym.spaces.Box(self.sim.ctrl_low, self.sim.ctrl_high, dtype=np.float32)
        self.metadata = {**self.metadata, "render_fps": round(1.0 / self.control_dt)}
        self._elapsed = 0

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        super().reset(seed=seed)
        self.sim.reset()
        self.task.reset(self.np_random)
        self.task.measurements.reset(self.task)
        self._elapsed = 0
        return self.sensors.observe(), self.task.info()

    def step(self, action: np.ndarray) -> tuple[dict[str, Any], float, bool, bool, dict[str, Any]]:
        action = np.asarray(action, dtype=np.float64).reshape(self.action_space.shape)
        if not np.all(np.isfinite(action)):
            raise ValueError(f"action {action} has non-finite entries")
        self.task.before_step(self.np_random)
        action = np.clip(action, self.action_space.low, self.action_space.high)
        self.sim.step(action, self.frame_skip)
        self.task.after_step(action)
        self.task.measurements.update(self.task)
        self._elapsed += 1
        truncated = self._elapsed >= self.max_episode_steps
        return (
            self.sensors.observe(),
            self.task.reward(),
            self.task.success(),
            truncated,
            self.task.info(),
        )

    def render(self) -> np.ndarray | None:
        if self.render_mode != "rgb_array":
            return None
        return self.sim.render(self.task.render_camera, self.width, self.height, ["rgb"])["rgb"]

    def close(self) -> None:
        self.sim.close()
