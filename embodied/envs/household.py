"""Household: the mobile manipulator goes to the object named in a text instruction while the
user's avatar walks around (a scripted simulated user) wearing an egocentric camera."""

from __future__ import annotations

from typing import Any

import numpy as np

from embodied.backends.base import Backend
from embodied.envs.scene_task import SceneTask
from embodied.envs.simulated_user import ScriptedUser
from scenes.description import Scene
from scenes.library import GRASPABLES, household_scene

USER_HUB = (0.0, 0.0)
USER_SPOTS = ((0.0, -1.6), (0.0, 1.7), (-2.2, 0.3), (2.0, -0.1))
ROBOT_START = np.array([-1.8, -0.2])


class HouseholdTask(SceneTask):
    """Reward: progress towards the named object − 0.01 per step + 2.5 on success (0.7 m).

    ``info["user_position"]`` is where the avatar is; the ``wearable`` camera sees from its head.
    """

    embodiment = "robot"
    success_radius = 0.7
    distance_dims = 2
    max_episode_steps = 400

    def __init__(self, sim: Backend, control_dt: float) -> None:
        super().__init__(sim, control_dt)
        self.user = ScriptedUser(USER_HUB, USER_SPOTS)
        self.target = GRASPABLES[0][0]

    @staticmethod
    def build_scene() -> Scene:
        return household_scene()

    def reset(self, rng: np.random.Generator) -> None:
        for name, _, pos, _ in GRASPABLES:
            jitter = rng.uniform(-0.02, 0.02, 2)
            self.sim.set_body_pose(name, np.array([pos[0] + jitter[0], pos[1] + jitter[1], pos[2]]))
        target = rng.integers(len(GRASPABLES))
        self.target, description = GRASPABLES[target][:2]
        start = ROBOT_START + rng.uniform(-0.3, 0.3, 2)
        joints = self.robot.joints
        self.sim.set_joint_positions(joints, [*start, rng.uniform(-np.pi, np.pi), 0.0, 0.0])
        self.user.reset(rng)
        self._move_user(self.user.position, self.user.yaw)
        self.instruction = f"Go to {description}."

    def _move_user(self, position: np.ndarray, yaw: float) -> None:
        self.sim.set_body_pose("user", np.array([*position, 0.0]), yaw)

    def before_step(self, rng: np.random.Generator) -> None:
        self._move_user(*self.user.act(self.control_dt, rng))

    def agent_position(self) -> np.ndarray:
        return self.sim.body_position("robot")

    def goal_position(self) -> np.ndarray:
        return self.sim.body_position(self.target)

    def reward(self) -> float:
        m = self.measurements
        return m["progress"] - 0.01 + 2.5 * m["success"]

    def info(self) -> dict[str, Any]:
        return {**super().info(), "target": self.target, "user_position": self.user.position}

    def scripted_action(self) -> np.ndarray:
        return np.concatenate([self.drive_towards_goal(), np.zeros(2)])
