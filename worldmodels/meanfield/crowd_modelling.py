"""open_spiel's crowd-modelling mean-field game solved with its ``mfg`` module.

The game (``python_mfg_crowd_modelling``: a ring of ``size`` cells, ``horizon`` steps, moves
left/stay/right, a reward for the centre and a crowd-aversion term ``−log m(x)``) is solved by
fictitious play or online mirror descent; the result carries the policy's NashConv and the
population's distribution over cells at every time step. ``evaluate_crowd_policy`` gives the same
for any tabular policy (e.g. a learned population model's,
:mod:`worldmodels.meanfield.ring_population`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pyspiel
    from open_spiel.python import policy as policy_lib

CROWD_SOLVERS = ("fictitious_play", "mirror_descent", "uniform")
_STATE = re.compile(r"^\((\d+), (\d+)\)$")


@dataclass
class CrowdSolution:
    """NashConv of the solver's policy and its distribution ``[horizon + 1, size]``."""

    nash_conv: float
    distribution: np.ndarray


def solve_crowd_modelling(
    solver: str = "fictitious_play",
    iterations: int = 10,
    game_name: str = "python_mfg_crowd_modelling",
) -> CrowdSolution:
    """Run ``solver`` (fictitious_play, mirror_descent, or uniform: the uniform policy) for
    ``iterations`` on ``game_name``."""
    import pyspiel
    from open_spiel.python import policy as policy_lib
    from open_spiel.python.mfg import value
    from open_spiel.python.mfg.algorithms import fictitious_play, mirror_descent
    from open_spiel.python.mfg.games import crowd_modelling  # noqa: F401  (registers the game)

    if solver not in CROWD_SOLVERS:
        raise ValueError(f"unknown crowd-modelling solver {solver!r}; valid: {CROWD_SOLVERS}")
    game = pyspiel.load_game(game_name)
    if solver == "uniform":
        return _evaluate(game, policy_lib.UniformRandomPolicy(game))
    if solver == "fictitious_play":
        algorithm = fictitious_play.FictitiousPlay(game)
    else:
        algorithm = mirror_descent.MirrorDescent(game, value.TabularValueFunction(game))
    for _ in range(iterations):
        algorithm.iteration()
    return _evaluate(game, algorithm.get_policy())


def evaluate_crowd_policy(
    policies: np.ndarray, game_name: str = "python_mfg_crowd_modelling"
) -> CrowdSolution:
    """NashConv and distribution, by open_spiel, of the policy whose move probabilities at
    cell ``x`` and step ``t`` are ``policies[t, x]`` (left, stay, right)."""
    import pyspiel
    from open_spiel.python import policy as policy_lib
    from open_spiel.python.mfg.games import crowd_modelling  # noqa: F401  (registers the game)

    game = pyspiel.load_game(game_name)
    table = np.asarray(policies, dtype=float)
    params = game.get_parameters()
    if table.shape != (params["horizon"], params["size"], game.num_distinct_actions()):
        raise ValueError(f"policies must be [horizon, size, actions], got {table.shape}")

    class TablePolicy(policy_lib.Policy):
        def action_probabilities(self, state, player_id=None) -> dict[int, float]:
            return {a: float(table[state.t, state.x, a]) for a in state.legal_actions()}

    return _evaluate(game, TablePolicy(game, list(range(game.num_players()))))


def _evaluate(game: pyspiel.Game, policy: policy_lib.Policy) -> CrowdSolution:
    """``policy``'s NashConv and its distribution over the decision states ``(x, t)``."""
    from open_spiel.python.mfg.algorithms import distribution, nash_conv

    exploitability = nash_conv.NashConv(game, policy).nash_conv()
    params = game.get_parameters()
    table = np.zeros((params["horizon"] + 1, params["size"]))
    for key, mass in distribution.DistributionPolicy(game, policy).distribution.items():
        match = _STATE.match(key)
        if match is not None:  # decision states "(x, t)"
            x, t = int(match.group(1)), int(match.group(2))
            table[t, x] = float(mass)
    return CrowdSolution(float(exploitability), table)


def ring_wasserstein(a: np.ndarray, b: np.ndarray) -> float:
    """W₁ between two distributions over the cells of a ring (unit spacing)."""
    gap = np.cumsum(np.asarray(a, float) - np.asarray(b, float))
    return float(np.abs(gap - np.median(gap)).sum())


def mean_ring_wasserstein(a: np.ndarray, b: np.ndarray) -> float:
    """Mean ring W₁ between two distributions ``[T, size]`` over the steps ``1 .. T − 1`` that
    both populate (step 0 is the common start; open_spiel's terminal row is empty)."""
    rows = [t for t in range(1, min(len(a), len(b))) if a[t].sum() > 0 and b[t].sum() > 0]
    return float(np.mean([ring_wasserstein(a[t], b[t]) for t in rows]))
