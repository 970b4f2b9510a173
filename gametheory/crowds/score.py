"""Crowd score as a function of crowd size, and each member's Shapley contribution to it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np

from gametheory.coalitions.shapley import monte_carlo_shapley_values, shapley_values
from gametheory.crowds.aggregate import accuracy, majority_vote, one_hot
from gametheory.crowds.dare import fit_dare

Aggregator = Literal["majority", "dare"]
MAX_EXACT_MEMBERS = 12


class CrowdScoreGame:
    """v(S) = expected accuracy of the majority vote of crowd S (v(∅) = 1/K, chance)."""

    def __init__(self, responses: np.ndarray, truth: np.ndarray, num_choices: int):
        self.answers = one_hot(responses, num_choices)
        self.truth = np.asarray(truth)
        self.num_players = self.answers.shape[0]

    def values(self, masks: np.ndarray) -> np.ndarray:
        counts = np.einsum("cp,pqk->cqk", np.asarray(masks, dtype=np.float64), self.answers)
        return np.atleast_1d(accuracy(counts, self.truth))


def crowd_score(
    responses: np.ndarray, truth: np.ndarray, num_choices: int, method: Aggregator = "majority"
) -> float:
    """Accuracy of the crowd's aggregated answers."""
    if method == "majority":
        scores = majority_vote(responses, num_choices)
    elif method == "dare":
        scores = fit_dare(responses, num_choices).posterior
    else:
        raise ValueError(f"unknown aggregator {method!r}")
    return float(accuracy(scores, truth))


def crowd_score_curve(
    responses: np.ndarray,
    truth: np.ndarray,
    num_choices: int,
    sizes: Sequence[int],
    num_samples: int = 20,
    method: Aggregator = "majority",
    seed: int = 0,
) -> np.ndarray:
    """Mean crowd score over ``num_samples`` random sub-crowds of each size."""
    rng = np.random.default_rng(seed)
    n = len(responses)
    curve = []
    for size in sizes:
        crowds = [rng.choice(n, size=size, replace=False) for _ in range(num_samples)]
        curve.append(
            np.mean([crowd_score(responses[c], truth, num_choices, method) for c in crowds])
        )
    return np.asarray(curve)


def contextual_iq(
    responses: np.ndarray,
    truth: np.ndarray,
    num_choices: int,
    num_permutations: int = 1000,
    seed: int = 0,
) -> np.ndarray:
    """Each member's Shapley value in the majority-vote crowd-score game.

    Exact for crowds of at most 12, otherwise estimated from ``num_permutations`` permutations.
    The values sum to v(crowd) − 1/K: the crowd's accuracy above chance.
    """
    game = CrowdScoreGame(responses, truth, num_choices)
    if game.num_players <= MAX_EXACT_MEMBERS:
        return shapley_values(game)
    return monte_carlo_shapley_values(game, num_permutations, seed=seed)
