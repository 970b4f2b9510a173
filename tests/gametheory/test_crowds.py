"""Crowd aggregation: majority vote, the DARE ability/difficulty model, Contextual IQ."""

import numpy as np
import pytest

from gametheory.crowds import (
    CrowdScoreGame,
    accuracy,
    contextual_iq,
    crowd_score,
    crowd_score_curve,
    majority_vote,
    simulate_crowd,
)


def test_majority_vote_and_tie_aware_accuracy():
    responses = np.array([[0, 1], [0, 2], [1, -1]])
    np.testing.assert_array_equal(majority_vote(responses, 3), [[2, 1, 0], [0, 1, 1]])
    assert accuracy(majority_vote(responses, 3), np.array([0, 2])) == pytest.approx(0.75)


def dare_gain(make_abilities, seeds=range(3)) -> float:
    """Mean accuracy gain of the DARE model over majority vote on simulated crowds."""
    gains = []
    for seed in seeds:
        ability = make_abilities(np.random.default_rng(seed))
        crowd = simulate_crowd(ability, num_questions=150, num_choices=4, seed=seed)
        majority = crowd_score(crowd.responses, crowd.truth, 4, "majority")
        gains.append(crowd_score(crowd.responses, crowd.truth, 4, "dare") - majority)
    return float(np.mean(gains))


def test_dare_beats_majority_most_for_small_crowds_with_strong_members():
    strong_few = dare_gain(lambda rng: np.concatenate([[2.5, 2.5], rng.normal(-1, 0.5, 4)]))
    ordinary_small = dare_gain(lambda rng: rng.normal(0, 1, 6))
    ordinary_large = dare_gain(lambda rng: rng.normal(0, 1, 40))
    assert strong_few > 0.05
    assert min(ordinary_small, ordinary_large) > -0.01
    assert strong_few > max(ordinary_small, ordinary_large)


def test_contextual_iq_sampled_for_large_crowds():
    ability = np.concatenate([[2.5, 2.5], np.full(18, -1.0)])
    crowd = simulate_crowd(ability, num_questions=100, num_choices=4, seed=1)
    phi = contextual_iq(crowd.responses, crowd.truth, 4, num_permutations=200)
    assert phi[:2].min() > phi[2:].max()


def test_crowd_score_curve_grows_with_size():
    crowd = simulate_crowd(np.full(30, 0.0), num_questions=100, num_choices=4, seed=0)
    curve = crowd_score_curve(crowd.responses, crowd.truth, 4, [1, 5, 25], num_samples=10)
    assert curve[0] < curve[1] < curve[2]


def test_contextual_iq_credits_strong_members():
    ability = np.array([2.5, 2.5, -1.0, -1.0, -1.0, -1.0])
    crowd = simulate_crowd(ability, num_questions=200, num_choices=4, seed=0)
    phi = contextual_iq(crowd.responses, crowd.truth, 4)
    everyone = CrowdScoreGame(crowd.responses, crowd.truth, 4).values(np.ones((1, 6), bool))[0]
    assert phi.sum() == pytest.approx(everyone - 0.25)
    assert phi[:2].min() > phi[2:].max()
