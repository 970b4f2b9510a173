"""MPPI as in TD-MPC2: elites weighted by ``softmax(temperature * score)``."""

from __future__ import annotations

import torch
from torch import Tensor

from planning.sampling_config import MPPIConfig
from planning.sampling_planner import SamplingPlanner


class MPPI(SamplingPlanner):
    """Model-predictive path integral planner (TD-MPC2's elite-restricted variant)."""

    config: MPPIConfig

    def _elite_weights(self, elite_scores: Tensor) -> Tensor:
        return torch.softmax(self.config.temperature * elite_scores, dim=1)
