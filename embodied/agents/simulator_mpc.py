"""Model-predictive control that plans with the simulator itself (an oracle world model).

Each control step, the shared planning core (MPPI or CEM) proposes batches of action sequences;
MuJoCo's native multi-threaded ``rollout`` plays them from the current physics state and the
task's own vectorised reward scores them. It is the upper bound a learned world model aims for.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import mujoco
import mujoco.rollout
import numpy as np
import torch

from embodied.agents.agent_config import agent_config
from embodied.agents.configs import SimulatorMPCConfig
from embodied.agents.planners import build_planner
from embodied.mujoco_env import MujocoEnv


class SimulatorMPCAgent:
    """Plans ``planner.horizon`` control steps ahead in the simulator, executes the first action.

    ``options``: the fields of :class:`SimulatorMPCConfig` by name (hydra's route), instead of
    ``cfg``.
    """

    def __init__(self, env: Any, cfg: SimulatorMPCConfig | None = None, **options: Any) -> None:
        cfg = agent_config(SimulatorMPCConfig, cfg, options)
        sim = env.unwrapped
        if not isinstance(sim, MujocoEnv):
            raise TypeError(f"SimulatorMPCAgent needs a MuJoCo env, got {type(sim).__name__}")
        if cfg.nthread < 1:
            raise ValueError(f"agent.nthread must be >= 1, got {cfg.nthread}")
        self.cfg = cfg
        self.sim = sim
        self.discount = cfg.discount
        planner = replace(cfg.planner, seed=cfg.seed)
        self.planner = build_planner(cfg.planner_kind, planner, sim.action_space)
        self._rollout = mujoco.rollout.Rollout(nthread=cfg.nthread)
        self._datas = [mujoco.MjData(sim.model) for _ in range(cfg.nthread)]

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
