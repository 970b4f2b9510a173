"""MPPI as in TD-MPC2: elites weighted by ``softmax(temperature * score)``."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from planning.sampling_planner import SamplingConfig, SamplingPlanner, check_field


@dataclass
class MPPIConfig(SamplingConfig):
    """TD-MPC2's planner settings."""

    temperature: float = 0.5
    """Scales the elites' scores before the softmax that weights them."""

    def __post_init__(self) -> None:
        super().__post_init__()
        check_field(self, "temperature", self.temperature > 0, "> 0")


class MPPI(SamplingPlanner):
    """Model-predictive path integral planner (TD-MPC2's elite-restricted variant)."""

    config: MPPIConfig

    def _elite_weights(self, elite_scores: Tensor) -> Tensor:
        return torch.softmax(self.config.temperature * elite_scores, dim=1)
