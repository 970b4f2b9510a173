"""Classical equilibrium solvers of the static games on a grid, and the measures compared.

Fictitious play averages best responses; online mirror descent accumulates negative costs in
the logits; both solve the entropy-regularised game (temperature ν), whose equilibrium is the
stationary law of the noisy population dynamics. NashConv is the regularised exploitability
``F_m(m) − min_π F_m(π)`` with ``F_m(π) = Σ π ℓ(·, m) + ν Σ π log π`` (0 at equilibrium).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from worldmodels.meanfield.games import MeanFieldGame

SOLVERS = ("fictitious_play", "mirror_descent")


@dataclass
class GridSolution:
    """An equilibrium on ``grid``: the weights, and NashConv after each iteration."""

    grid: Tensor
    weights: Tensor
    nash_conv: list[float]


def nash_conv(game: MeanFieldGame, grid: Tensor, weights: Tensor) -> float:
    """The regularised NashConv of the population ``weights`` on ``grid``."""
    cost = game.cost(grid, grid, weights)
    nu = game.noise
    entropy = (weights * torch.log(weights.clamp_min(1e-300))).sum()
    value = (weights * cost).sum() + nu * entropy
    best = -nu * torch.logsumexp(-cost / nu, 0)
    return float(value - best)


def solve_on_grid(
    game: MeanFieldGame,
    grid: Tensor,
    solver: str = "fictitious_play",
    iterations: int = 200,
    learning_rate: float = 0.5,
) -> GridSolution:
    """Run ``solver`` (``fictitious_play`` or ``mirror_descent``) from the uniform population."""
    if solver not in SOLVERS:
        raise ValueError(f"unknown solver {solver!r}; valid: {', '.join(SOLVERS)}")
    grid = grid.double()
    weights = torch.full_like(grid, 1.0 / len(grid))
    logits = torch.zeros_like(grid)
    history = []
    for k in range(iterations):
        cost = game.cost(grid, grid, weights)
        if solver == "fictitious_play":
            best = torch.softmax(-cost / game.noise, 0)
            weights = weights + (best - weights) / (k + 2)
        else:
            logits = (1 - learning_rate) * logits - learning_rate * cost / game.noise
            weights = torch.softmax(logits, 0)
        history.append(nash_conv(game, grid, weights))
    return GridSolution(grid, weights, history)


def wasserstein_1d(
    points_a: np.ndarray | Tensor,
    points_b: np.ndarray | Tensor,
    weights_a: np.ndarray | Tensor | None = None,
    weights_b: np.ndarray | Tensor | None = None,
) -> float:
    """W₁ distance of two weighted point sets on the line (uniform weights when None)."""
    a = np.asarray(points_a, dtype=float).ravel()
    b = np.asarray(points_b, dtype=float).ravel()
    wa = np.full(len(a), 1.0 / len(a)) if weights_a is None else np.asarray(weights_a, float)
    wb = np.full(len(b), 1.0 / len(b)) if weights_b is None else np.asarray(weights_b, float)
    xs = np.concatenate([a, b])
    order = np.argsort(xs)
    mass = np.concatenate([wa / wa.sum(), -wb / wb.sum()])[order]
    cdf_gap = np.cumsum(mass)[:-1]
    return float(np.sum(np.abs(cdf_gap) * np.diff(xs[order])))


def histogram_on_grid(points: Tensor, grid: Tensor) -> Tensor:
    """Particles as weights on a uniform ``grid`` (nearest grid point)."""
    step = grid[1] - grid[0]
    index = ((points.double() - grid[0]) / step).round().long().clamp(0, len(grid) - 1)
    counts = torch.bincount(index, minlength=len(grid)).double()
    return counts / counts.sum()
