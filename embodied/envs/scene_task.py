"""Base class of the goal-reaching tasks run by ``SceneEnv``: scene, reset, measures, reward."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar

import numpy as np

from embodied.backends.base import Backend
from embodied.measures import DistanceToGoal, Measurements, PathLength, Progress, Success
from scenes.description import Scene


class SceneTask(ABC):
    """One task in one scene, driving the robot embodiment ``embodiment``.

    Measures (distance to goal, progress, success, path length) are updated after every step;
    ``info`` reports them with Gymnasium's ``is_success`` flag.
    """

    embodiment: ClassVar[str]
    render_camera: ClassVar[str] = "overview"
    success_radius: ClassVar[float]
    distance_dims: ClassVar[int] = 3  # 2: distances in the floor plane
    frame_skip: ClassVar[int] = 10
    max_episode_steps: ClassVar[int] = 200

    def __init__(self, sim: Backend, control_dt: float) -> None:
        self.sim, self.control_dt = sim, control_dt
        self.robot = sim.scene.embodiment(self.embodiment)
        self.instruction = ""
        self.measurements = Measurements(
            [DistanceToGoal(self.distance_dims), Progress(), Success(self.success_radius),
             PathLength()]
        )  # fmt: skip

    @staticmethod
    @abstractmethod
    def build_scene() -> Scene:
        """The task's scene description."""

    @abstractmethod
    def reset(self, rng: np.random.Generator) -> None:
        """Place the robot, goal and other bodies for a new episode; set ``instruction``."""

    def before_step(self, rng: np.random.Generator) -> None:  # noqa: B027  (optional hook)
        """Move what the task moves itself (e.g. a simulated user) before each physics step."""

    def after_step(self, action: np.ndarray) -> None:  # noqa: B027  (optional hook)
        """React to the physics step just taken with ``action`` (e.g. grasp or release)."""

    @abstractmethod
    def agent_position(self) -> np.ndarray:
        """The point of the robot that must reach the goal."""

    @abstractmethod
    def goal_position(self) -> np.ndarray:
        """Where it must get to."""

    @abstractmethod
    def reward(self) -> float:
        """Reward of the last step, from ``self.measurements``."""

    @abstractmethod
    def scripted_action(self) -> np.ndarray:
        """A privileged expert's action (it may use the hidden goal): ``agent=scripted``."""

    def drive_towards_goal(self, gain: float = 2.0) -> np.ndarray:
        """Planar base velocities (world x, y; no turning) towards the goal, clipped to ±1."""
        return np.array([*np.clip(gain * self.goal_vector()[:2], -1.0, 1.0), 0.0])

    def proprio(self) -> np.ndarray:
        """Positions then velocities of the robot's joints."""
        joints = self.robot.joints
        return np.concatenate([self.sim.joint_positions(joints), self.sim.joint_velocities(joints)])

    def goal_vector(self) -> np.ndarray:
        """The goal relative to the agent's point (world axes)."""
        return self.goal_position() - self.agent_position()

    def success(self) -> bool:
        return self.measurements[Success.uuid] == 1.0

    def info(self) -> dict[str, Any]:
        return {**self.measurements.metrics(), "is_success": self.success()}
