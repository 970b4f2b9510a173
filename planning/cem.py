"""Cross-entropy method: the distribution is refit to the elites with equal weights."""

from __future__ import annotations

import torch
from torch import Tensor

from planning.sampling_config import CEMConfig
from planning.sampling_planner import SamplingPlanner


class CEM(SamplingPlanner):
    """Cross-entropy method planner."""

    config: CEMConfig

    def _elite_weights(self, elite_scores: Tensor) -> Tensor:
        return torch.full_like(elite_scores, 1.0 / elite_scores.shape[1])
