"""Figures of open-loop predictions: trajectories per dimension, decoded next to real frames."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import torch
from torch import Tensor

from worldmodels.encoders import is_image
from worldmodels.evaluation import Predictor

RewardPredictor = Callable[[Mapping[str, Tensor], Tensor], Tensor]
"""(first observations ``[B, ...]``, actions ``[H, B, A]``) -> predicted rewards ``[H, B]``."""


def plot_trajectories(
    path: Path,
    name: str,
    truth: np.ndarray,
    predictions: Mapping[str, np.ndarray],
    first_step: int = 0,
) -> Path:
    """One panel per dimension: the true ``truth[T, D]`` (from step ``first_step``) and each
    predictor's ``[T', D]`` (from step 1); every panel's axes are labelled."""
    dims = truth.shape[1]
    fig, axes = plt.subplots(dims, 1, figsize=(7, 1.8 * dims + 0.6), sharex=True, squeeze=False)
    for d, ax in enumerate(axes[:, 0]):
        ax.plot(np.arange(first_step, first_step + len(truth)), truth[:, d], "k-", lw=2,
                label="true")  # fmt: skip
        for label, pred in predictions.items():
            ax.plot(np.arange(1, len(pred) + 1), pred[:, d], "--", label=label)
        ax.set_ylabel(name if dims == 1 else f"{name}[{d}]")
        ax.set_xlabel("open-loop step (actions since the first observation)")
        ax.label_outer()
    axes[0, 0].legend(loc="upper right", fontsize="small", ncols=len(predictions) + 1)
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
    reward: RewardPredictor | None = None,
) -> list[Path]:
    """Plots of ``steps``-step open-loop predictions from the start of ``episode``, and of the
    rewards the ``reward`` predictor (the model's reward head) expects along the way."""
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
    if reward is not None:
        predicted = reward(obs, actions)[:, 0].float().cpu().numpy()[:, None]
        truth = episode["reward"][:steps, None].astype(np.float32)
        paths.append(
            plot_trajectories(
                folder / "reward_trajectories.png", "reward", truth, {"model": predicted}, 1
            )
        )
    return paths
