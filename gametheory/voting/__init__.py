"""Voting and ranking: preference profiles, Soft Condorcet Optimization and classical rules."""

from gametheory.voting.elo import elo
from gametheory.voting.kemeny import kemeny_young
from gametheory.voting.outcome import Outcome, kendall_tau_distance, outcome_from_scores
from gametheory.voting.preflib import load_preflib, parse_preflib
from gametheory.voting.profile import PreferenceProfile, as_profile
from gametheory.voting.rules import borda, copeland, plurality
from gametheory.voting.sco import sco_optimize, sco_ratings

__all__ = [
    "Outcome",
    "PreferenceProfile",
    "as_profile",
    "borda",
    "copeland",
    "elo",
    "kemeny_young",
    "kendall_tau_distance",
    "load_preflib",
    "outcome_from_scores",
    "parse_preflib",
    "plurality",
    "sco_optimize",
    "sco_ratings",
]
