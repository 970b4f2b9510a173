"""Reach: move the arm's fingertip to a goal point; reward −distance, success within 5 cm."""

from __future__ import annotations

import numpy as np

from embodied.envs.scene_task import SceneTask
from scenes.description import Scene
from scenes.library import reach_scene

MIN_GOAL_HEIGHT = 0.08


class ReachTask(SceneTask):
    """Goals are fingertip positions of random joint configurations, so always reachable."""

    embodiment = "arm"
    success_radius = 0.05

    @staticmethod
    def build_scene() -> Scene:
        return reach_scene()

    def reset(self, rng: np.random.Generator) -> None:
        joints = self.robot.joints
        # goal configurations within the servos' range, fingertip above the floor
        high = np.minimum([np.pi, 1.2, 2.0], self.sim.ctrl_high)
        while True:
            goal_config = rng.uniform(-high, high)
            self.sim.set_joint_positions(joints, goal_config)
            goal = self.sim.body_position("arm_fingertip")
            if goal[2] >= MIN_GOAL_HEIGHT:
                break
        self._goal_config = goal_config
        self.sim.set_joint_positions(joints, rng.uniform(-0.1, 0.1, len(joints)))
        self.sim.set_body_pose("goal", goal)
        self.instruction = "Touch the green ball with the fingertip."

    def agent_position(self) -> np.ndarray:
        return self.sim.body_position("arm_fingertip")

    def goal_position(self) -> np.ndarray:
        return self.sim.body_position("goal")

    def reward(self) -> float:
        return -self.measurements["distance_to_goal"]

    def scripted_action(self) -> np.ndarray:
        """The joint configuration the goal was made from (the actuators are position servos)."""
        return self._goal_config.copy()
