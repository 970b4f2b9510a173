"""Soft Condorcet Optimization against open_spiel and against Kemeny–Young."""

import importlib.util

import numpy as np
import pytest

from gametheory.voting import kemeny_young, kendall_tau_distance, sco_ratings

# The paper's example: 2 votes A ≻ B ≻ C and 3 votes C ≻ A ≻ B.
PAPER = [(2, ["A", "B", "C"]), (3, ["C", "A", "B"])]
# Reference ratings from open_spiel's Python SoftCondorcetOptimizer (bounds ±100, full
# batch, lr 0.01, 10k iterations, τ = 1).
OPEN_SPIEL_PAPER = {"A": 0.5937, "B": -3.9141, "C": 3.3204}
HAS_OPEN_SPIEL = importlib.util.find_spec("open_spiel") is not None


def ranking(ratings):
    return sorted(ratings, key=lambda a: -ratings[a])


def test_sigmoid_matches_published_ratings():
    ratings = sco_ratings(PAPER, lower=-100, upper=100, iterations=10_000)
    assert ratings == pytest.approx(OPEN_SPIEL_PAPER, abs=1e-3)
    assert ranking(ratings) == ["C", "A", "B"]


@pytest.mark.skipif(not HAS_OPEN_SPIEL, reason="open_spiel not installed")
def test_sigmoid_matches_open_spiel_implementation():
    from open_spiel.python.voting import base
    from open_spiel.python.voting import soft_condorcet_optimization as osco

    votes = [(1, ["A", "B", "C"]), (1, ["A", "C", "B"]), (2, ["C", "A", "B"]), (1, ["B", "C", "A"])]
    profile = base.PreferenceProfile(votes=[v for w, v in votes for _ in range(w)])
    solver = osco.SoftCondorcetOptimizer(profile, rating_lower_bound=-100, rating_upper_bound=100)
    reference, _ = solver.run_solver(2000, learning_rate=0.01)
    ratings = sco_ratings(votes, lower=-100, upper=100, iterations=2000)
    expected = dict(zip(profile.alternatives, reference.tolist(), strict=True))
    assert ratings == pytest.approx(expected, abs=1e-4)


def test_minibatch_sigmoid_keeps_the_ordering():
    ratings = sco_ratings(PAPER, lower=-100, upper=100, iterations=5000, batch_size=4)
    assert ranking(ratings) == ["C", "A", "B"]


@pytest.mark.parametrize("batch_size", [0, 4])
def test_fenchel_young_ranks_a_first(batch_size):
    ratings = sco_ratings(
        PAPER,
        "fenchel_young",
        temperature=20,
        learning_rate=0.1,
        iterations=5000,
        batch_size=batch_size,
    )
    assert ranking(ratings) == ["A", "C", "B"]


def test_ratings_respect_bounds_and_start_at_midpoint():
    ratings = sco_ratings([(1, ["A", "B"])], lower=0, upper=1, learning_rate=10, iterations=50)
    assert ratings == {"A": 1.0, "B": 0.0}
    assert sco_ratings([(1, ["A", "B"])], iterations=0) == {"A": 500.0, "B": 500.0}
    with pytest.raises(ValueError):
        sco_ratings(PAPER, lower=1, upper=0)


def test_sco_close_to_kemeny_young_on_random_profiles():
    rng = np.random.default_rng(0)
    distances = []
    for noise in (2.0, 4.0):
        for _ in range(10):
            m = int(rng.integers(3, 9))
            center = rng.permutation(m)
            votes = []
            for _ in range(25):
                order = np.argsort(np.arange(m) + rng.normal(0.0, noise, m))
                votes.append((1, [int(center[i]) for i in order]))
            ratings = sco_ratings(votes, iterations=1000)
            distances.append(kendall_tau_distance(ranking(ratings), kemeny_young(votes).ranking))
    assert np.mean(distances) <= 0.05
