"""Open-loop multi-step prediction error on held-out episodes, for the model and baselines.

Errors are mean squared errors per horizon: of standardised features for vector modalities
(units of the training data's std), of pixels in [0, 1] for images.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import torch
from torch import Tensor

from worldmodels.baselines import LinearModel, copy_last
from worldmodels.data import Batch, EpisodeDataset
from worldmodels.encoders import is_image
from worldmodels.model import WorldModel

Predictor = Callable[[Mapping[str, Tensor], Tensor], dict[str, Tensor]]


def eval_windows(data: EpisodeDataset, horizon: int, max_starts: int) -> Batch:
    """Up to ``max_starts`` evenly spaced windows of ``horizon`` actions (deterministic)."""
    steps, obs = data.starts(horizon)
    if len(steps) == 0:
        raise ValueError(f"no held-out episode is longer than the eval horizon {horizon}")
    pick = np.unique(np.linspace(0, len(steps) - 1, min(max_starts, len(steps))).astype(int))
    return data.window(torch.from_numpy(steps[pick]), torch.from_numpy(obs[pick]), horizon)


def _comparable(x: Tensor, shape: tuple[int, ...], std: Tensor | None) -> Tensor:
    """Predictions or targets ``[H, B, ...]`` in the units errors are measured in."""
    if is_image(shape):
        return (x.float() / 255.0 if x.dtype == torch.uint8 else x.float()).flatten(2)
    return x.float() / std


def baselines(model: WorldModel, train: EpisodeDataset) -> dict[str, Predictor]:
    """copy-last for every modality; a linear model for the vector ones."""
    found: dict[str, Predictor] = {"copy_last": copy_last}
    for name in model.decoders:
        if not is_image(model.obs_shapes[name]):
            found[f"linear_{name}" if len(model.decoders) > 1 else "linear"] = LinearModel(
                train, name
            )
    return found


@torch.no_grad()
def open_loop_errors(
    model: WorldModel,
    train: EpisodeDataset,
    heldout: EpisodeDataset,
    horizons: list[int],
    max_starts: int = 512,
) -> dict[str, dict[str, dict[str, float]]]:
    """``{modality: {"h<k>": {predictor: mse}}}`` for each horizon ``k`` of ``horizons``."""
    if not model.decoders:
        raise ValueError("open-loop evaluation needs a model with decoders (worldmodel.decoder)")
    device = next(model.parameters()).device
    model.eval()
    batch = eval_windows(heldout, max(horizons), max_starts).to(device)
    first = {k: v[0] for k, v in batch.obs.items()}
    predictors: dict[str, Predictor] = {"model": model.predict, **baselines(model, train)}
    predictions = {name: p(first, batch.action) for name, p in predictors.items()}
    out: dict[str, dict[str, dict[str, float]]] = {}
    for name in model.decoders:
        shape = model.obs_shapes[name]
        std = None if is_image(shape) else train.obs[name].float().std(0).clamp(min=1e-3).to(device)
        truth = _comparable(batch.obs[name][1:], shape, std)
        out[name] = {f"h{k}": {} for k in horizons}
        for pname, pred in predictions.items():
            if name not in pred:
                continue
            err = (_comparable(pred[name], shape, std) - truth).pow(2).flatten(1).mean(1)
            for k in horizons:
                out[name][f"h{k}"][pname] = float(err[k - 1])
    return out
