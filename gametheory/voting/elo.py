"""Elo ratings as the maximum-likelihood Bradley–Terry fit of all pairwise preferences."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from gametheory.voting.outcome import Outcome, outcome_from_scores
from gametheory.voting.profile import PreferenceProfile, Vote, as_profile

ELO_SCALE = np.log(10.0) / 400.0


def elo(
    votes: PreferenceProfile | Iterable[Vote],
    mean_rating: float = 1500.0,
    regularization: float = 1e-6,
) -> Outcome:
    """Elo ratings r maximising Σ P[a, b] log σ((r_a − r_b)·ln10/400).

    Every ranked pair a ≻ b inside a vote counts as a win of a over b. A tiny Gaussian
    prior (``regularization`` on the natural-log scale) keeps unbeaten alternatives finite.
    """
    from scipy.optimize import minimize  # imported on use: scipy costs seconds to import

    profile = as_profile(votes)
    pref = profile.preference_matrix()

    def negative_log_posterior(z: np.ndarray) -> tuple[float, np.ndarray]:
        diff = z[:, None] - z[None, :]
        log_win = -np.logaddexp(0.0, -diff)
        loss = -(pref * log_win).sum() + 0.5 * regularization * (z @ z)
        lost = pref * (1.0 - np.exp(log_win))
        grad = -(lost.sum(axis=1) - lost.sum(axis=0)) + regularization * z
        return float(loss), grad

    z0 = np.zeros(profile.num_alternatives)
    z = minimize(negative_log_posterior, z0, jac=True, method="L-BFGS-B").x
    ratings = (z - z.mean()) / ELO_SCALE + mean_rating
    return outcome_from_scores(profile.alternatives, ratings)
