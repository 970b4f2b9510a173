"""Cooperative games: characteristic functions, Shapley values and the least core."""

from gametheory.coalitions.games import (
    FunctionGame,
    Game,
    InducedSubgraphGame,
    MarginalContributionNet,
    Rule,
    TabularGame,
    WeightedVotingGame,
    all_coalitions,
    grand_value,
    random_coalitions,
)
from gametheory.coalitions.least_core import LeastCore, least_core_lp, max_deficit
from gametheory.coalitions.least_core_sampling import least_core_sampling
from gametheory.coalitions.shapley import monte_carlo_shapley_values, shapley_values

__all__ = [
    "FunctionGame",
    "Game",
    "InducedSubgraphGame",
    "LeastCore",
    "MarginalContributionNet",
    "Rule",
    "TabularGame",
    "WeightedVotingGame",
    "all_coalitions",
    "grand_value",
    "least_core_lp",
    "least_core_sampling",
    "max_deficit",
    "monte_carlo_shapley_values",
    "random_coalitions",
    "shapley_values",
]
