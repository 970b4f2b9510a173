"""Navigate: drive the mobile base to a goal disc in a room with obstacles (PointNav-style)."""

from __future__ import annotations

import numpy as np

from embodied.envs.scene_task import SceneTask
from scenes.description import Scene
from scenes.library import NAVIGATE_HALF_SIZE, NAVIGATE_OBSTACLES, navigate_scene

CLEARANCE = 0.4  # free space kept around start and goal (the base's radius is 0.22 m)
MIN_START_GOAL_DISTANCE = 1.5


def free_point(rng: np.random.Generator) -> np.ndarray:
    """A uniform floor point at least ``CLEARANCE`` from walls and obstacles."""
    limit = NAVIGATE_HALF_SIZE - CLEARANCE
    while True:
        point = rng.uniform(-limit, limit, 2)
        if all(
            np.any(np.abs(point - np.asarray(pos[:2])) > np.asarray(size[:2]) + CLEARANCE)
            for _, pos, size in NAVIGATE_OBSTACLES
        ):
            return point


class NavigateTask(SceneTask):
    """Reward: progress towards the goal − 0.01 per step + 2.5 on success (within 0.3 m)."""

    embodiment = "robot"
    success_radius = 0.3
    distance_dims = 2
    max_episode_steps = 300

    @staticmethod
    def build_scene() -> Scene:
        return navigate_scene()

    def reset(self, rng: np.random.Generator) -> None:
        goal = free_point(rng)
        start = free_point(rng)
        while np.linalg.norm(start - goal) < MIN_START_GOAL_DISTANCE:
            start = free_point(rng)
        self.sim.set_joint_positions(self.robot.joints, [*start, rng.uniform(-np.pi, np.pi)])
        self.sim.set_body_pose("goal", np.array([*goal, 0.005]))
        self.instruction = "Drive to the green disc on the floor."

    def agent_position(self) -> np.ndarray:
        return self.sim.body_position("robot")

    def goal_position(self) -> np.ndarray:
        return self.sim.body_position("goal")

    def reward(self) -> float:
        m = self.measurements
        return m["progress"] - 0.01 + 2.5 * m["success"]

    def scripted_action(self) -> np.ndarray:
        return self.drive_towards_goal()
