"""Baselines of open-loop prediction: repeat the last observation; a least-squares linear model.

A predictor maps ``obs[name][B, ...]`` and ``actions[H, B, A]`` to predictions
``[H, B, ...]`` per modality, like :meth:`WorldModel.predict`.
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
from torch import Tensor

from worldmodels.data import EpisodeDataset


def copy_last(obs: Mapping[str, Tensor], actions: Tensor) -> dict[str, Tensor]:
    """Predict that nothing changes: the first observation, repeated ``H`` times."""
    h = actions.shape[0]
    return {k: v.unsqueeze(0).expand(h, *v.shape) for k, v in obs.items()}


class LinearModel:
    """``x' = [x, a, 1] W`` for one vector modality, fitted by least squares on training data."""

    def __init__(self, data: EpisodeDataset, name: str) -> None:
        self.name = name
        steps, obs = data.starts(1)
        x = data.obs[name][obs].double()
        x_next = data.obs[name][obs + 1].double()
        a = data.action[steps].double()
        inputs = torch.cat([x, a, torch.ones(len(x), 1, dtype=torch.float64)], 1)
        self.weight = torch.linalg.lstsq(inputs, x_next).solution.float()

    def __call__(self, obs: Mapping[str, Tensor], actions: Tensor) -> dict[str, Tensor]:
        x = obs[self.name].float()
        w = self.weight.to(x.device)
        out = []
        for a in actions:
            x = torch.cat([x, a.float(), torch.ones_like(x[:, :1])], 1) @ w
            out.append(x)
        return {self.name: torch.stack(out)}
