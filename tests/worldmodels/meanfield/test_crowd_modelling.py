"""open_spiel's crowd-modelling game: NashConv against open_spiel's own test values."""

from __future__ import annotations

import numpy as np
import pytest

from worldmodels.meanfield.crowd_modelling import ring_wasserstein, solve_crowd_modelling


def test_uniform_policy_nash_conv():
    solution = solve_crowd_modelling("uniform")
    assert solution.nash_conv == pytest.approx(2.8135365543870385, abs=1e-9)
    assert solution.distribution.shape == (11, 10)
    np.testing.assert_allclose(solution.distribution[:10].sum(1), 1.0)


def test_fictitious_play_ten_iterations():
    solution = solve_crowd_modelling("fictitious_play", 10)
    assert solution.nash_conv == pytest.approx(0.991, abs=1e-3)
    uniform = solve_crowd_modelling("uniform")
    # fictitious play gathers the crowd towards the centre: its distribution differs
    assert ring_wasserstein(solution.distribution[5], uniform.distribution[5]) > 0.1


@pytest.mark.slow
def test_online_mirror_descent_ten_iterations():
    solution = solve_crowd_modelling("mirror_descent", 10)
    assert solution.nash_conv == pytest.approx(2.2730324915546056, abs=1e-9)


def test_ring_wasserstein_and_bad_solver():
    a, b = np.eye(10)[0], np.eye(10)[9]
    assert ring_wasserstein(a, b) == pytest.approx(1.0)  # neighbours across the wrap
    assert ring_wasserstein(a, np.eye(10)[5]) == pytest.approx(5.0)
    with pytest.raises(ValueError, match="unknown crowd-modelling solver"):
        solve_crowd_modelling("cfr")
