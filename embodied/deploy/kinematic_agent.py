"""A classical reaching controller: resolved-rate inverse kinematics on the arm's own model.

From the joint positions (``proprio``) and the goal offset (``goal``, world axes) it takes one
damped-least-squares step of the fingertip Jacobian and commands the resulting joint positions
(the reach arm's actuators are position servos). It reads nothing the robot does not publish.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import mujoco
import numpy as np

import embodied


class KinematicReachAgent:
    """Joint targets ``q + gain · Jᵀ(JJᵀ + damping·I)⁻¹ · goal`` for the arm of ``scene``.

    The step is scaled down so no joint moves more than ``max_step`` radians per action.
    """

    def __init__(
        self,
        env: gym.Env,
        scene: str = "reach",
        gain: float = 1.0,
        damping: float = 0.05,
        max_step: float = 0.3,
    ) -> None:
        if gain <= 0 or damping < 0 or max_step <= 0:
            raise ValueError(
                f"gain and max_step must be > 0 and damping >= 0, got {gain}, {max_step}, {damping}"
            )
        spaces = getattr(env.observation_space, "spaces", {})
        if "proprio" not in spaces or "goal" not in spaces:
            raise ValueError(
                f"kinematic_reach needs proprio and goal observations; the env has {list(spaces)}"
            )
        model_env = embodied.make(scene)
        sim, task = model_env.unwrapped.sim, model_env.unwrapped.task
        if not hasattr(sim, "model"):
            raise TypeError(f"kinematic_reach needs a MuJoCo scene; {scene!r} is not one")
        self.model = sim.model
        self.data = mujoco.MjData(self.model)
        joints = task.robot.joints
        self.qpos_adr = np.array([self.model.joint(j).qposadr[0] for j in joints])
        self.dof_adr = np.array([self.model.joint(j).dofadr[0] for j in joints])
        self.tip = self.model.body(f"{task.robot.name}_fingertip").id
        model_env.close()
        self.gain, self.damping, self.max_step = gain, damping, max_step
        self.action_space = env.action_space
        if self.action_space.shape != (len(joints),):
            raise ValueError(
                f"the env acts in {self.action_space.shape}; "
                f"the {scene} arm has {len(joints)} joints"
            )

    def reset(self, seed: int | None = None) -> None:
        return None

    def act(self, observation: dict[str, Any]) -> np.ndarray:
        q = np.asarray(observation["proprio"], np.float64)[: len(self.qpos_adr)]
        self.data.qpos[self.qpos_adr] = q
        mujoco.mj_kinematics(self.model, self.data)
        mujoco.mj_comPos(self.model, self.data)
        jacp = np.zeros((3, self.model.nv))
        mujoco.mj_jacBody(self.model, self.data, jacp, None, self.tip)
        jac = jacp[:, self.dof_adr]
        goal = np.asarray(observation["goal"], np.float64)
        step = jac.T @ np.linalg.solve(jac @ jac.T + self.damping * np.eye(3), goal)
        step *= self.gain / max(1.0, np.abs(self.gain * step).max() / self.max_step)
        action = q + step
        return np.clip(action, self.action_space.low, self.action_space.high).astype(np.float32)
