"""Least core by iterative coalition sampling (Gemp et al., arXiv 2402.03928).

Payoffs x = v(N)·softmax([logits, 0]) stay efficient and non-negative. On each batch of
random coalitions the constraint loss is L = mean_S ½·relu(v(S) − ε − x(S))² / |S|, and the
Lagrangian ε + μ·(L − γ) is descended in (logits, ε ≥ 0) and ascended in μ ≥ 0, both by
Adam with analytic gradients — no enumeration of the 2^n coalitions. Values are
normalised by v(N) inside, so learning rates do not depend on the game's scale.
"""

from __future__ import annotations

import numpy as np

from gametheory.coalitions.games import Game, grand_value, random_coalitions
from gametheory.coalitions.least_core import LeastCore, max_deficit
from gametheory.optim import Adam


def _shares(logits: np.ndarray) -> np.ndarray:
    z = np.append(logits, 0.0)
    p = np.exp(z - z.max())
    return p / p.sum()


def least_core_sampling(
    game: Game,
    iterations: int = 5000,
    batch_size: int = 256,
    learning_rate: float = 0.01,
    dual_learning_rate: float = 10.0,
    mu_init: float = 1000.0,
    gamma: float = 1e-6,
    num_checks: int = 10_000,
    seed: int = 0,
) -> LeastCore:
    """Approximate least core of a game too large to enumerate.

    ``violation`` is the largest deficit beyond ε on ``num_checks`` fresh random coalitions.
    """
    n = game.num_players
    rng = np.random.default_rng(seed)
    total = grand_value(game)
    logits, epsilon, mu = np.zeros(n - 1), np.array([1.0]), np.array([mu_init])
    primal, dual = Adam(n, learning_rate), Adam(1, dual_learning_rate)
    for _ in range(iterations):
        masks = random_coalitions(n, batch_size, rng)
        values = game.values(masks) / total
        m = masks.astype(np.float64)
        x = _shares(logits)
        deficit = np.maximum(values - epsilon[0] - m @ x, 0.0)
        scaled = deficit / np.maximum(m.sum(axis=1), 1.0)
        loss = 0.5 * (scaled * deficit).mean()
        grad_x = -(scaled @ m) / batch_size
        grad_logits = (x * (grad_x - x @ grad_x))[:-1]
        grad = np.append(mu[0] * grad_logits, 1.0 - mu[0] * scaled.mean())
        params = primal.step(np.append(logits, epsilon), grad)
        logits, epsilon = params[:-1], np.maximum(params[-1:], 0.0)
        mu = np.maximum(dual.step(mu, -np.array([loss - gamma])), 0.0)
    payoff, epsilon = total * _shares(logits), total * float(epsilon[0])
    checks = random_coalitions(n, num_checks, rng)
    violation = max(max_deficit(game, payoff, checks) - epsilon, 0.0)
    return LeastCore(payoff=payoff, epsilon=epsilon, violation=violation)
