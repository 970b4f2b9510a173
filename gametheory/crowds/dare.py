"""Joint inference of participant ability, question difficulty and the true answers (DARE).

Model: ability a_i ~ N(0, 1), difficulty d_j ~ N(0, 1), discrimination s_j ~ Gamma(mean 1,
variance 0.01), true answer t_j uniform over K choices. Participant i knows question j with
probability p_ij = Φ(z_ij), z_ij = (a_i − d_j)·√s_j, and then answers t_j; otherwise the
answer is uniform over the K choices. Fitted by EM: the E-step is the exact posterior over
t_j, the M-step takes Adam steps (analytic gradients) on the expected log joint, giving MAP
estimates of a, d and s.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import log_ndtr, softmax

from gametheory.crowds.aggregate import majority_vote, one_hot
from gametheory.crowds.simulate import DISCRIMINATION_RATE, DISCRIMINATION_SHAPE
from gametheory.optim import Adam

LOG_SQRT_2PI = 0.5 * np.log(2 * np.pi)


@dataclass(frozen=True)
class DareFit:
    """Posterior over true answers (questions × choices) and MAP parameters."""

    posterior: np.ndarray
    ability: np.ndarray
    difficulty: np.ndarray
    discrimination: np.ndarray


def _answer_log_likelihoods(z: np.ndarray, num_choices: int):
    """log P(answer is the truth), log P(answer is one given wrong choice), and their
    derivatives in z."""
    log_density = -0.5 * z**2 - LOG_SQRT_2PI
    log_wrong = log_ndtr(-z) - np.log(num_choices)
    log_right = np.logaddexp(log_ndtr(z), log_wrong)
    d_wrong = -np.exp(log_density - log_ndtr(-z))
    d_right = (1.0 - 1.0 / num_choices) * np.exp(log_density - log_right)
    return log_right, log_wrong, d_right, d_wrong


def fit_dare(
    responses: np.ndarray,
    num_choices: int,
    em_iterations: int = 30,
    m_steps: int = 20,
    learning_rate: float = 0.05,
) -> DareFit:
    """Fit the ability/difficulty model to answers (participants × questions, −1 = missing)."""
    answers = one_hot(responses, num_choices)
    observed = answers.sum(axis=-1)
    counts = majority_vote(responses, num_choices) + 0.1
    posterior = counts / counts.sum(axis=-1, keepdims=True)
    n, q = observed.shape
    params = np.zeros(n + 2 * q)  # ability, difficulty, log discrimination
    optimizer = Adam(len(params), learning_rate)

    def split(p):
        return p[:n], p[n : n + q], p[n + q :]

    for _ in range(em_iterations):
        # M-step: q(answer of i is the truth) = posterior mass on the choice i picked.
        agree = np.einsum("ijk,jk->ij", answers, posterior)
        for _ in range(m_steps):
            ability, difficulty, log_s = split(params)
            root_s = np.exp(0.5 * log_s)
            margin = ability[:, None] - difficulty[None, :]
            z = margin * root_s[None, :]
            _, _, d_right, d_wrong = _answer_log_likelihoods(z, num_choices)
            dz = agree * d_right + (observed - agree) * d_wrong
            s = root_s**2
            grad = np.concatenate(
                [
                    (dz * root_s).sum(axis=1) - ability,
                    -(dz * root_s).sum(axis=0) - difficulty,
                    0.5 * (dz * z).sum(axis=0)
                    + (DISCRIMINATION_SHAPE - 1.0)
                    - DISCRIMINATION_RATE * s,
                ]
            )
            params = optimizer.step(params, -grad)
        # E-step: exact posterior over each question's true answer.
        ability, difficulty, log_s = split(params)
        z = (ability[:, None] - difficulty[None, :]) * np.exp(0.5 * log_s)[None, :]
        log_right, log_wrong, _, _ = _answer_log_likelihoods(z, num_choices)
        posterior = softmax(np.einsum("ijk,ij->jk", answers, log_right - log_wrong), axis=-1)
    ability, difficulty, log_s = split(params)
    return DareFit(posterior, ability, difficulty, np.exp(log_s))
