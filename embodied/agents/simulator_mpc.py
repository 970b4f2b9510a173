"""Model-predictive control that plans with the simulator itself (an oracle world model).

Each control step, the shared planning core (MPPI or CEM) proposes batches of action sequences;
MuJoCo's native multi-threaded ``rollout`` plays them from the current physics state and the
task's own vectorised reward scores them. It is the upper bound a learned world model aims for.
"""

from __future__ import annotations

from typing import Any

import mujoco
import mujoco.rollout
import numpy as np
import torch

from embodied.agents.planners import build_planner
from embodied.mujoco_env import MujocoEnv


class SimulatorMPCAgent:
    """Plans ``horizon`` control steps ahead in the simulator, executes the first action."""

    def __init__(
        self,
        env: Any,
        planner: str = "mppi",
        horizon: int = 50,
        num_samples: int = 64,
        num_elites: int = 8,
        iterations: int = 2,
        temperature: float = 0.5,
        min_std: float = 0.05,
        max_std: float = 0.5,
        discount: float = 0.99,
        nthread: int = 2,
        seed: int = 0,
    ) -> None:
        sim = env.unwrapped
        if not isinstance(sim, MujocoEnv):
            raise TypeError(f"SimulatorMPCAgent needs a MuJoCo env, got {type(sim).__name__}")
        if nthread < 1:
            raise ValueError(f"agent.nthread must be >= 1, got {nthread}")
        self.sim = sim
        self.discount = discount
        self.planner = build_planner(
            planner,
            sim.action_space,
            temperature,
            horizon=horizon,
            num_samples=num_samples,
            num_elites=num_elites,
            iterations=iterations,
            min_std=min_std,
            max_std=max_std,
            num_policy_samples=0,
            seed=seed,
        )
        self._rollout = mujoco.rollout.Rollout(nthread=nthread)
        self._datas = [mujoco.MjData(sim.model) for _ in range(nthread)]

    def reset(self, seed: int | None = None) -> None:
        self.planner.reset()

    def close(self) -> None:
        self._rollout.close()

    def score(self, actions: torch.Tensor) -> torch.Tensor:
        """Discounted return of each action sequence ``[1, N, H, A]`` from the current state."""
        sim, skip = self.sim, self.sim.frame_skip
        sequences = actions[0].double().numpy()
        num, horizon, _ = sequences.shape
        control = np.repeat(sequences, skip, axis=1)
        start = np.tile(sim.physics_state(), (num, 1))
        states, _ = self._rollout.rollout(sim.model, self._datas, start, control)
        qpos, qvel = sim.split_state(states[:, skip - 1 :: skip])
        # the planner keeps samples inside the action box, so these are the controls applied
        rewards, terminated = sim.outcome_from_physics(qpos, qvel, sequences)
        alive = np.cumprod(~terminated, axis=1)
        returns = (rewards * alive * self.discount ** np.arange(horizon)).sum(axis=1)
        return torch.as_tensor(returns, dtype=actions.dtype).unsqueeze(0)

    def act(self, observation: Any) -> np.ndarray:
        plan = self.planner.plan(self.score)
        return plan[0, 0].numpy().astype(np.float32)
