"""Soft Condorcet Optimization (Lanctot et al., arXiv 2411.00119), vectorised.

Ratings θ minimise Σ_votes Σ_{a ≻ b} D(θ_a, θ_b) by projected gradient descent, where D is
the sigmoid σ((θ_b − θ_a)/τ) or, for the Fenchel–Young variant, the loss whose gradient is
"perturbed ranking minus observed ranking" with Gumbel(scale τ) perturbations. Both
gradients are sums over preference pairs, so one step is a handful of numpy scatter-adds.
Votes are sampled in proportion to their weight for mini-batches (a vote of weight w acts
as w unit votes); the gradient is divided by the number of (unit) votes in the batch.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

import numpy as np

from gametheory.voting.profile import Alternative, PreferenceProfile, Vote, as_profile

Method = Literal["sigmoid", "fenchel_young"]


@dataclass(frozen=True)
class _Batch:
    """The preference pairs of a batch of votes, with per-pair weight.

    ``*_slot`` index each pair's two entries among the batch's ``num_entries`` vote entries
    (a vote drawn twice gets two sets of slots), so perturbations are drawn per entry.
    """

    winner: np.ndarray
    loser: np.ndarray
    weight: np.ndarray
    winner_slot: np.ndarray
    loser_slot: np.ndarray
    num_entries: int
    divisor: float


def _gather(profile: PreferenceProfile, votes: np.ndarray, vote_weight: np.ndarray) -> _Batch:
    """All pairs of ``votes`` (indices may repeat), each weighted by its vote's weight."""
    pairs = profile.pairs
    count = pairs.count[votes]
    rows = np.repeat(pairs.start[votes] - (np.cumsum(count) - count), count)
    rows += np.arange(count.sum())
    lengths = profile.lengths[votes]
    offset = np.repeat(np.cumsum(lengths) - lengths, count)
    return _Batch(
        winner=pairs.winner[rows],
        loser=pairs.loser[rows],
        weight=np.repeat(vote_weight, count).astype(np.float32),
        winner_slot=offset + pairs.winner_pos[rows],
        loser_slot=offset + pairs.loser_pos[rows],
        num_entries=int(lengths.sum()),
        divisor=float(vote_weight.sum()),
    )


def _merge(profile: PreferenceProfile, batch: _Batch) -> _Batch:
    """Sum the weights of identical (winner, loser) pairs; drops the per-entry slots."""
    m = profile.num_alternatives
    codes, inverse = np.unique(batch.winner * m + batch.loser, return_inverse=True)
    weight = np.bincount(inverse, weights=batch.weight).astype(np.float32)
    empty = np.zeros(0, dtype=np.int64)
    return _Batch(codes // m, codes % m, weight, empty, empty, 0, batch.divisor)


def _scatter(batch: _Batch, g: np.ndarray, m: int) -> np.ndarray:
    """Gradient from per-pair magnitudes g: winners go down by g, losers up by g."""
    grad = np.bincount(batch.loser, g, minlength=m) - np.bincount(batch.winner, g, minlength=m)
    return (grad / batch.divisor).astype(np.float32)


def _sigmoid_gradient(theta, batch: _Batch, temperature: float, rng) -> np.ndarray:
    s = 1.0 / (1.0 + np.exp(-(theta[batch.loser] - theta[batch.winner]) / temperature))
    return _scatter(batch, batch.weight * s * (1.0 - s) / temperature, len(theta))


def _fenchel_young_gradient(theta, batch: _Batch, temperature: float, rng) -> np.ndarray:
    """Perturbed-minus-observed rank, written per pair: +1/−1 on the pairs the noise flips."""
    noise = rng.gumbel(0.0, temperature, size=batch.num_entries).astype(np.float32)
    flipped = theta[batch.loser] + noise[batch.loser_slot] > (
        theta[batch.winner] + noise[batch.winner_slot]
    )
    return _scatter(batch, batch.weight * flipped, len(theta))


_GRADIENTS = {"sigmoid": _sigmoid_gradient, "fenchel_young": _fenchel_young_gradient}


def sco_optimize(
    profile: PreferenceProfile,
    method: Method = "sigmoid",
    temperature: float = 1.0,
    iterations: int = 1000,
    learning_rate: float = 0.01,
    lower: float = 0.0,
    upper: float = 1000.0,
    batch_size: int = 0,
    seed: int = 0,
) -> np.ndarray:
    """Run SCO on a profile; returns float32 ratings indexed like ``profile.alternatives``.

    ``batch_size=0`` is full-batch descent; otherwise each step samples that many unit votes.
    For ``fenchel_young`` the temperature is the scale of the Gumbel perturbation (in full
    batch a vote of weight w gets one perturbation, scaled by w).
    """
    if upper <= lower:
        raise ValueError(f"upper bound {upper} must exceed lower bound {lower}")
    if method not in _GRADIENTS:
        raise ValueError(f"unknown SCO method {method!r}")
    gradient = _GRADIENTS[method]
    rng = np.random.default_rng(seed)
    theta = np.full(profile.num_alternatives, (upper - lower) / 2.0 + lower, dtype=np.float32)
    full = _gather(profile, np.arange(profile.num_votes), profile.weights)
    if method == "sigmoid":
        full = _merge(profile, full)  # a full-batch step is then O(#distinct pairs)
    probabilities = profile.weights / profile.weights.sum()
    unit = np.ones(batch_size)
    for _ in range(iterations):
        batch = full
        if batch_size > 0:
            votes = rng.choice(profile.num_votes, size=batch_size, p=probabilities)
            batch = _gather(profile, votes, unit)
        theta = np.clip(
            theta - learning_rate * gradient(theta, batch, temperature, rng), lower, upper
        )
    return theta


def sco_ratings(
    votes: PreferenceProfile | Iterable[Vote],
    method: Method = "sigmoid",
    temperature: float = 1.0,
    iterations: int = 1000,
    learning_rate: float = 0.01,
    lower: float = 0.0,
    upper: float = 1000.0,
    batch_size: int = 0,
    seed: int = 0,
) -> dict[Alternative, float]:
    """Soft Condorcet ratings ``{alternative: rating}`` of ``[(weight, ranking), ...]``."""
    profile = as_profile(votes)
    theta = sco_optimize(
        profile, method, temperature, iterations, learning_rate, lower, upper, batch_size, seed
    )
    return dict(zip(profile.alternatives, theta.tolist(), strict=True))
