"""Classical scoring rules: Borda, Copeland and plurality."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from gametheory.voting.outcome import Outcome, outcome_from_scores
from gametheory.voting.profile import PreferenceProfile, Vote, as_profile


def borda(votes: PreferenceProfile | Iterable[Vote]) -> Outcome:
    """Borda count: per vote, one point for every alternative ranked strictly below.

    On complete strict rankings this is the usual m−1, m−2, …, 0 scoring.
    """
    profile = as_profile(votes)
    return outcome_from_scores(profile.alternatives, profile.preference_matrix().sum(axis=1))


def copeland(votes: PreferenceProfile | Iterable[Vote]) -> Outcome:
    """Copeland: head-to-head wins, plus half a point per head-to-head tie."""
    profile = as_profile(votes)
    margin = profile.margin_matrix()
    scores = (margin > 0).sum(axis=1) + 0.5 * ((margin == 0).sum(axis=1) - 1)
    return outcome_from_scores(profile.alternatives, scores)


def plurality(votes: PreferenceProfile | Iterable[Vote]) -> Outcome:
    """Plurality: each vote's weight goes to its top alternative (split among tied tops)."""
    profile = as_profile(votes)
    top = profile.tiers == 0
    vote_of_entry = np.repeat(np.arange(profile.num_votes), profile.lengths)
    tops_per_vote = np.bincount(vote_of_entry[top], minlength=profile.num_votes)
    share = profile.weights[vote_of_entry[top]] / tops_per_vote[vote_of_entry[top]]
    scores = np.bincount(profile.entries[top], weights=share, minlength=profile.num_alternatives)
    return outcome_from_scores(profile.alternatives, scores)
