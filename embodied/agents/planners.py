"""Build a planning-core sampling planner (MPPI or CEM) for an env's action space."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import torch

from planning.cem import CEM, CEMConfig
from planning.mppi import MPPI, MPPIConfig
from planning.sampling_planner import SamplingPlanner

PLANNERS = {"mppi": (MPPI, MPPIConfig), "cem": (CEM, CEMConfig)}


def build_planner(
    name: str,
    action_space: gym.spaces.Box,
    temperature: float,
    device: str | torch.device = "cpu",
    **settings: Any,
) -> SamplingPlanner:
    """``name`` ("mppi" or "cem") over ``action_space`` with config ``settings``.

    ``temperature`` applies to MPPI only (CEM weighs its elites equally).
    """
    if name not in PLANNERS:
        raise ValueError(f"agent.planner={name!r}; valid: {', '.join(PLANNERS)}")
    planner_cls, config_cls = PLANNERS[name]
    if name == "mppi":
        settings["temperature"] = temperature
    return planner_cls(
        action_space.shape[0],
        config_cls(**settings),
        action_low=torch.as_tensor(action_space.low),
        action_high=torch.as_tensor(action_space.high),
        device=device,
    )
