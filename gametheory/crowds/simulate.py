"""Simulated crowds from the DARE generative model, for tests and experiments."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr

DISCRIMINATION_SHAPE = 100.0  # Gamma(shape 100, rate 100): mean 1, variance 0.01
DISCRIMINATION_RATE = 100.0


@dataclass(frozen=True)
class Crowd:
    """Answers (participants × questions, choice index) with the hidden ground truth."""

    responses: np.ndarray
    truth: np.ndarray
    num_choices: int
    ability: np.ndarray
    difficulty: np.ndarray
    discrimination: np.ndarray


def correct_probability(ability, difficulty, discrimination) -> np.ndarray:
    """P(N(ability − difficulty, precision = discrimination) > 0) per participant × question."""
    margin = np.asarray(ability)[:, None] - np.asarray(difficulty)[None, :]
    return ndtr(margin * np.sqrt(np.asarray(discrimination))[None, :])


def simulate_crowd(
    ability: np.ndarray, num_questions: int, num_choices: int, seed: int = 0
) -> Crowd:
    """Draw questions (difficulty ~ N(0,1), discrimination ~ Gamma, uniform truth) and answers.

    A participant who "knows" (probability ``correct_probability``) answers correctly;
    otherwise the answer is uniform over all choices.
    """
    rng = np.random.default_rng(seed)
    ability = np.asarray(ability, dtype=np.float64)
    difficulty = rng.standard_normal(num_questions)
    discrimination = rng.gamma(DISCRIMINATION_SHAPE, 1.0 / DISCRIMINATION_RATE, num_questions)
    truth = rng.integers(num_choices, size=num_questions)
    knows = rng.random((len(ability), num_questions)) < correct_probability(
        ability, difficulty, discrimination
    )
    guesses = rng.integers(num_choices, size=knows.shape)
    responses = np.where(knows, truth[None, :], guesses)
    return Crowd(responses, truth, num_choices, ability, difficulty, discrimination)
