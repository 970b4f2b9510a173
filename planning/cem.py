"""Cross-entropy method: the distribution is refit to the elites with equal weights."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from planning.sampling_planner import SamplingConfig, SamplingPlanner


@dataclass
class CEMConfig(SamplingConfig):
    """CEM settings; defaults follow PlaNet (horizon 12, 1000 samples, 100 elites, 10 rounds)."""

    horizon: int = 12
    num_samples: int = 1000
    num_elites: int = 100
    iterations: int = 10
    max_std: float = 1.0
    num_policy_samples: int = 0


class CEM(SamplingPlanner):
    """Cross-entropy method planner."""

    config: CEMConfig

    def _elite_weights(self, elite_scores: Tensor) -> Tensor:
        return torch.full_like(elite_scores, 1.0 / elite_scores.shape[1])
