"""Majority voting over multiple-choice answers and the accuracy of an aggregate."""

from __future__ import annotations

import numpy as np


def one_hot(responses: np.ndarray, num_choices: int) -> np.ndarray:
    """(participants, questions, choices) indicator of each answer; missing answers are 0."""
    responses = np.asarray(responses)
    return (responses[..., None] == np.arange(num_choices)).astype(np.float64)


def majority_vote(responses: np.ndarray, num_choices: int) -> np.ndarray:
    """Vote counts per question and choice, (questions, choices)."""
    return one_hot(responses, num_choices).sum(axis=0)


def accuracy(scores: np.ndarray, truth: np.ndarray) -> float | np.ndarray:
    """Expected fraction correct when picking a top-scoring choice uniformly at random.

    ``scores`` is (..., questions, choices); leading axes are kept (one accuracy each).
    """
    best = scores >= scores.max(axis=-1, keepdims=True)
    truth = np.asarray(truth)
    hit = best[..., np.arange(len(truth)), truth]
    result = (hit / best.sum(axis=-1)).mean(axis=-1)
    return float(result) if np.ndim(result) == 0 else result
