"""The least core by linear programming (scipy HiGHS), over all or over given coalitions.

minimise e  s.t.  x ≥ 0,  Σ x = v(N),  x(S) + e ≥ v(S) for every coalition S considered.
The least core is usually a set; ``refine=True`` picks its lexicographic centre by the
nucleolus procedure (repeat the LP on the constraints not yet known to be tight in every
optimum, fixing those with non-zero duals), so equal players get equal payoffs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import linprog

from gametheory.coalitions.games import Game, all_coalitions, grand_value, random_coalitions

DUAL_TOLERANCE = 1e-9


@dataclass(frozen=True)
class LeastCore:
    """A least-core payoff vector and its ε (worst coalition deficit v(S) − x(S)).

    ``violation`` is the largest remaining deficit beyond ε found when checking the payoff
    (0 for an exact LP over all coalitions).
    """

    payoff: np.ndarray
    epsilon: float
    violation: float = 0.0


def _minimise_max_deficit(masks, values, total, fixed_masks, fixed_values):
    n = masks.shape[1]
    cost = np.zeros(n + 1)
    cost[-1] = 1.0
    a_ub = np.hstack([-masks, -np.ones((len(masks), 1))])
    a_eq = np.vstack([np.ones((1, n)), fixed_masks])
    a_eq = np.hstack([a_eq, np.zeros((len(a_eq), 1))])
    result = linprog(
        cost,
        A_ub=a_ub,
        b_ub=-values,
        A_eq=a_eq,
        b_eq=np.concatenate([[total], fixed_values]),
        bounds=[(0.0, None)] * n + [(None, None)],
        method="highs",
    )
    if result.status != 0:
        raise RuntimeError(f"least-core LP failed: {result.message}")
    return result.x[:n], float(result.x[-1]), result.ineqlin.marginals


def least_core_lp(
    game: Game,
    coalitions: np.ndarray | None = None,
    num_samples: int = 0,
    seed: int = 0,
    refine: bool = True,
) -> LeastCore:
    """Least core over all coalitions, the given masks, or ``num_samples`` random ones."""
    n = game.num_players
    if coalitions is None:
        rng = np.random.default_rng(seed)
        coalitions = random_coalitions(n, num_samples, rng) if num_samples else all_coalitions(n)
    masks = np.unique(np.asarray(coalitions, dtype=np.float64), axis=0)
    values = game.values(masks.astype(bool))
    total = grand_value(game)
    fixed_masks, fixed_values = np.zeros((0, n)), np.zeros(0)
    payoff, epsilon, duals = _minimise_max_deficit(masks, values, total, fixed_masks, fixed_values)
    stage_epsilon = epsilon
    while refine:
        tight = np.abs(duals) > DUAL_TOLERANCE
        fixed_masks = np.vstack([fixed_masks, masks[tight]])
        fixed_values = np.concatenate([fixed_values, values[tight] - stage_epsilon])
        masks, values = masks[~tight], values[~tight]
        rank = np.linalg.matrix_rank(np.vstack([np.ones((1, n)), fixed_masks]))
        if rank == n or len(masks) == 0:
            break
        payoff, stage_epsilon, duals = _minimise_max_deficit(
            masks, values, total, fixed_masks, fixed_values
        )
    return LeastCore(payoff=payoff, epsilon=epsilon + 0.0)


def max_deficit(game: Game, payoff: np.ndarray, masks: np.ndarray) -> float:
    """max_S v(S) − x(S) over the given coalitions (the ε this payoff needs)."""
    return float((game.values(masks) - masks @ payoff).max())
