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
from typing import Literal

import numpy as np

from gametheory.voting.profile import Alternative, PreferenceProfile, Vote, as_profile

Method = Literal["sigmoid", "fenchel_young"]


def _scatter(winner, loser, g, m: int) -> np.ndarray:
    """Gradient from per-pair magnitudes g: winners go down by g, losers up by g."""
    return (np.bincount(loser, g, minlength=m) - np.bincount(winner, g, minlength=m)).astype(
        np.float32
    )


class _Batches:
    """Gathers the preference pairs of a batch of votes (votes may repeat)."""

    def __init__(self, profile: PreferenceProfile):
        self.profile = profile
        self.pairs = profile.pairs

    def gather(self, votes: np.ndarray):
        """Pair rows of ``votes`` plus, per pair, its occurrence's first entry slot."""
        count = self.pairs.count[votes]
        first = np.cumsum(count) - count
        rows = np.repeat(self.pairs.start[votes] - first, count) + np.arange(count.sum())
        lengths = self.profile.lengths[votes]
        entry_offset = np.repeat(np.cumsum(lengths) - lengths, count)
        return rows, entry_offset, np.repeat(np.arange(len(votes)), count), int(lengths.sum())


def _sigmoid_step(theta, winner, loser, weight, temperature: float, m: int) -> np.ndarray:
    s = 1.0 / (1.0 + np.exp(-(theta[loser] - theta[winner]) / temperature))
    return _scatter(winner, loser, weight * s * (1.0 - s) / temperature, m)


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
    For ``fenchel_young`` the temperature is the scale of the Gumbel perturbation.
    """
    if upper <= lower:
        raise ValueError(f"upper bound {upper} must exceed lower bound {lower}")
    if method not in ("sigmoid", "fenchel_young"):
        raise ValueError(f"unknown SCO method {method!r}")
    m = profile.num_alternatives
    rng = np.random.default_rng(seed)
    theta = np.full(m, (upper - lower) / 2.0 + lower, dtype=np.float32)
    total = profile.weights.sum()
    batches = _Batches(profile)
    pairs = profile.pairs
    all_votes = np.arange(profile.num_votes)
    if method == "sigmoid" and batch_size <= 0:
        # Full batch: merge identical pairs across votes once; a step is O(#distinct pairs).
        codes, inverse = np.unique(pairs.winner * m + pairs.loser, return_inverse=True)
        merged = np.bincount(inverse, weights=profile.weights[pairs.vote]).astype(np.float32)
        winner, loser = codes // m, codes % m
    probabilities = profile.weights / total
    for _ in range(iterations):
        if batch_size > 0:
            votes = rng.choice(profile.num_votes, size=batch_size, p=probabilities)
            vote_weight, divisor = np.ones(batch_size, dtype=np.float32), batch_size
        else:
            votes, vote_weight, divisor = all_votes, profile.weights.astype(np.float32), total
        if method == "sigmoid" and batch_size <= 0:
            grad = _sigmoid_step(theta, winner, loser, merged, temperature, m)
        else:
            rows, entry_offset, occurrence, num_entries = batches.gather(votes)
            w, lo = pairs.winner[rows], pairs.loser[rows]
            weight = vote_weight[occurrence]
            if method == "sigmoid":
                grad = _sigmoid_step(theta, w, lo, weight, temperature, m)
            else:
                noise = rng.gumbel(0.0, temperature, size=num_entries).astype(np.float32)
                score_w = theta[w] + noise[entry_offset + pairs.winner_pos[rows]]
                score_l = theta[lo] + noise[entry_offset + pairs.loser_pos[rows]]
                grad = _scatter(w, lo, weight * (score_l > score_w), m)
        theta = np.clip(theta - learning_rate * (grad / np.float32(divisor)), lower, upper)
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
