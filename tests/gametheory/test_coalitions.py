"""Shapley values and least core against open_spiel's published test values."""

import numpy as np
import pytest

from gametheory.coalitions import (
    FunctionGame,
    InducedSubgraphGame,
    MarginalContributionNet,
    Rule,
    TabularGame,
    WeightedVotingGame,
    all_coalitions,
    least_core_lp,
    least_core_sampling,
    max_deficit,
    monte_carlo_shapley_values,
    shapley_values,
)

EQUAL = WeightedVotingGame(np.array([10.0, 10, 10, 10]), quota=35)
UNEQUAL = WeightedVotingGame(np.array([40.0, 22, 30, 9]), quota=51)
ICE_CREAM = TabularGame.from_dict(
    {
        frozenset({0, 1}): 500,
        frozenset({0, 2}): 500,
        frozenset({1, 2}): 750,
        frozenset({0, 1, 2}): 1000,
    },
    num_players=3,
)


def test_shapley_values_of_open_spiel_games():
    np.testing.assert_allclose(shapley_values(EQUAL), [0.25] * 4)
    np.testing.assert_allclose(shapley_values(UNEQUAL), [1 / 3, 1 / 3, 1 / 3, 0], atol=1e-12)
    np.testing.assert_allclose(shapley_values(ICE_CREAM), [250, 375, 375])


def test_shapley_closed_forms():
    rng = np.random.default_rng(0)
    weights = rng.random((6, 6))
    weights = np.triu(weights, 1) + np.triu(weights, 1).T
    np.testing.assert_allclose(shapley_values(InducedSubgraphGame(weights)), weights.sum(1) / 2)
    net = MarginalContributionNet(4, [Rule([0, 1], [], 6.0), Rule([2], [3], 2.0)])
    np.testing.assert_allclose(shapley_values(net), [3, 3, 1, -1])


def test_monte_carlo_shapley_converges():
    estimate = monte_carlo_shapley_values(ICE_CREAM, 4000, seed=1)
    np.testing.assert_allclose(estimate, [250, 375, 375], atol=15)
    assert estimate.sum() == pytest.approx(1000)


def test_function_game_and_tabular_game_agree():
    table = TabularGame(np.arange(16.0))
    fn = FunctionGame(4, lambda m: m @ (1 << np.arange(4)))
    masks = all_coalitions(4)
    np.testing.assert_array_equal(table.values(masks), fn.values(masks))


def test_least_core_lp_of_open_spiel_games():
    equal = least_core_lp(EQUAL)
    np.testing.assert_allclose(equal.payoff, [0.25] * 4, atol=1e-9)
    assert equal.epsilon == pytest.approx(0.0, abs=1e-9)
    unequal = least_core_lp(UNEQUAL)
    np.testing.assert_allclose(unequal.payoff, [1 / 3, 1 / 3, 1 / 3, 0], atol=1e-9)
    assert unequal.epsilon == pytest.approx(1 / 3)
    ice = least_core_lp(ICE_CREAM)
    assert ice.epsilon == pytest.approx(0.0, abs=1e-9)
    assert max_deficit(ICE_CREAM, ice.payoff, all_coalitions(3)) <= 1e-9


def test_least_core_lp_on_sampled_coalitions_is_a_lower_bound():
    rng = np.random.default_rng(0)
    weights = rng.integers(1, 20, 12).astype(float)
    game = WeightedVotingGame(weights, weights.sum() / 2)
    exact = least_core_lp(game, refine=False).epsilon
    sampled = least_core_lp(game, num_samples=500, refine=False)
    assert sampled.epsilon <= exact + 1e-9
    assert max_deficit(game, sampled.payoff, all_coalitions(12)) >= exact - 1e-9


def test_least_core_by_coalition_sampling_small_games():
    equal = least_core_sampling(EQUAL, iterations=2000, batch_size=16)
    np.testing.assert_allclose(equal.payoff, [0.25] * 4, atol=1e-6)
    assert equal.epsilon == pytest.approx(0.0, abs=1e-6)
    unequal = least_core_sampling(UNEQUAL, iterations=3000, batch_size=16)
    np.testing.assert_allclose(unequal.payoff, [1 / 3, 1 / 3, 1 / 3, 0], atol=0.05)
    assert unequal.epsilon + unequal.violation == pytest.approx(1 / 3, abs=0.05)
    ice = least_core_sampling(ICE_CREAM, iterations=2000, batch_size=16)
    assert max_deficit(ICE_CREAM, ice.payoff, all_coalitions(3)) <= 1.0


def test_least_core_by_coalition_sampling_large_game():
    rng = np.random.default_rng(0)
    weights = rng.integers(1, 20, 60).astype(float)
    game = WeightedVotingGame(weights, weights.sum() / 2)
    result = least_core_sampling(game, iterations=1500, seed=1)
    reference = least_core_lp(game, num_samples=3000, refine=False).epsilon
    assert result.payoff.sum() == pytest.approx(1.0)
    assert (result.payoff >= 0).all()
    assert result.epsilon + result.violation <= reference + 0.1
