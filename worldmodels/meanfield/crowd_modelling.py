"""open_spiel's crowd-modelling mean-field game solved with its ``mfg`` module.

The game (``python_mfg_crowd_modelling``: a ring of ``size`` cells, ``horizon`` steps, moves
left/stay/right, a reward for the centre and a crowd-aversion term ``−log m(x)``) is solved by
fictitious play or online mirror descent; the result carries the policy's NashConv and the
population's distribution over cells at every time step.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

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
    from open_spiel.python.mfg.algorithms import (
        distribution,
        fictitious_play,
        mirror_descent,
        nash_conv,
    )
    from open_spiel.python.mfg.games import crowd_modelling  # noqa: F401  (registers the game)

    if solver not in CROWD_SOLVERS:
        raise ValueError(f"unknown crowd-modelling solver {solver!r}; valid: {CROWD_SOLVERS}")
    game = pyspiel.load_game(game_name)
    if solver == "uniform":
        policy = policy_lib.UniformRandomPolicy(game)
    else:
        if solver == "fictitious_play":
            algorithm = fictitious_play.FictitiousPlay(game)
        else:
            algorithm = mirror_descent.MirrorDescent(game, value.TabularValueFunction(game))
        for _ in range(iterations):
            algorithm.iteration()
        policy = algorithm.get_policy()
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
