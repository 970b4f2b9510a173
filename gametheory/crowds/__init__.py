"""Aggregating many agents' multiple-choice answers (Crowd IQ, arXiv 2410.10004)."""

from gametheory.crowds.aggregate import accuracy, majority_vote, one_hot
from gametheory.crowds.dare import DareFit, fit_dare
from gametheory.crowds.score import (
    CrowdScoreGame,
    contextual_iq,
    crowd_score,
    crowd_score_curve,
)
from gametheory.crowds.simulate import Crowd, correct_probability, simulate_crowd

__all__ = [
    "Crowd",
    "CrowdScoreGame",
    "DareFit",
    "accuracy",
    "contextual_iq",
    "correct_probability",
    "crowd_score",
    "crowd_score_curve",
    "fit_dare",
    "majority_vote",
    "one_hot",
    "simulate_crowd",
]
