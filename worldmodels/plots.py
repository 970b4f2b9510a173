"""Figures of open-loop predictions: trajectories per dimension, decoded next to real frames."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import torch
from torch import Tensor

from worldmodels.encoders import is_image
from worldmodels.evaluation import Predictor


def plot_trajectories(
    path: Path, name: str, truth: np.ndarray, predictions: Mapping[str, np.ndarray]
) -> Path:
    """One panel per dimension: the true ``truth[T, D]`` and each predictor's ``[T, D]``."""
    dims = truth.shape[1]
    fig, axes = plt.subplots(dims, 1, figsize=(7, 1.8 * dims), sharex=True, squeeze=False)
    for d, ax in enumerate(axes[:, 0]):
        ax.plot(truth[:, d], "k-", lw=2, label="true")
        for label, pred in predictions.items():
            ax.plot(np.arange(1, len(pred) + 1), pred[:, d], "--", label=label)
        ax.set_ylabel(f"{name}[{d}]")
    axes[0, 0].legend(loc="upper right", fontsize="small", ncols=len(predictions) + 1)
    axes[-1, 0].set_xlabel("open-loop step")
    fig.suptitle(f"open-loop {name} predictions on a held-out episode")
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)
    return path


def plot_frames(path: Path, name: str, truth: np.ndarray, pred: np.ndarray) -> Path:
    """Real frames (top row) over decoded open-loop predictions (bottom row)."""
    n = len(pred)
    fig, axes = plt.subplots(2, n, figsize=(1.6 * n, 3.4), squeeze=False)
    for i in range(n):
        for row, img in ((0, truth[i + 1]), (1, pred[i])):
            axes[row, i].imshow(np.clip(img, 0, 1), cmap=None if img.ndim == 3 else "viridis")
            axes[row, i].axis("off")
        axes[0, i].set_title(f"t+{i + 1}", fontsize="small")
    fig.suptitle(f"{name}: real (top) vs decoded prediction (bottom)")
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)
    return path


@torch.no_grad()
def plot_predictions(
    folder: Path,
    episode: Mapping[str, np.ndarray],
    predictors: Mapping[str, Predictor],
    shapes: Mapping[str, tuple[int, ...]],
    steps: int,
    device: torch.device,
) -> list[Path]:
    """Plots of ``steps``-step open-loop predictions from the start of ``episode``."""
    steps = min(steps, len(episode["action"]))
    obs: dict[str, Tensor] = {k: torch.from_numpy(episode[k][:1]).to(device) for k in shapes}
    actions = torch.from_numpy(episode["action"][:steps, None]).to(device)
    preds = {label: p(obs, actions) for label, p in predictors.items()}
    paths = []
    for name, shape in shapes.items():
        truth = episode[name][: steps + 1]
        found = {
            label: p[name][:, 0].float().cpu().numpy() for label, p in preds.items() if name in p
        }
        if is_image(shape):
            real = truth / 255.0 if truth.dtype == np.uint8 else truth
            shown = min(steps, 8)
            paths.append(
                plot_frames(folder / f"{name}_frames.png", name, real, found["model"][:shown])
            )
        else:
            paths.append(plot_trajectories(folder / f"{name}_trajectories.png", name, truth, found))
    return paths
