"""Build a planning-core sampling planner (MPPI or CEM) for an env's action space."""

from __future__ import annotations

from dataclasses import asdict

import gymnasium as gym
import torch

from planning.cem import CEM, CEMConfig
from planning.mppi import MPPI, MPPIConfig
from planning.sampling_planner import SamplingPlanner

PLANNER_KINDS = ("mppi", "cem")


def build_planner(
    kind: str,
    config: MPPIConfig,
    action_space: gym.spaces.Box,
    device: str | torch.device = "cpu",
) -> SamplingPlanner:
    """An MPPI (``kind="mppi"``) or CEM (``"cem"``) planner over ``action_space``.

    CEM takes every setting of ``config`` but ``temperature`` (it weighs its elites equally).
    """
    if kind not in PLANNER_KINDS:
        raise ValueError(f"agent.planner_kind={kind!r}; valid: {', '.join(PLANNER_KINDS)}")
    planner: SamplingPlanner
    low, high = torch.as_tensor(action_space.low), torch.as_tensor(action_space.high)
    dim = action_space.shape[0]
    if kind == "mppi":
        planner = MPPI(dim, config, action_low=low, action_high=high, device=device)
    else:
        settings = {k: v for k, v in asdict(config).items() if k != "temperature"}
        planner = CEM(dim, CEMConfig(**settings), action_low=low, action_high=high, device=device)
    return planner
