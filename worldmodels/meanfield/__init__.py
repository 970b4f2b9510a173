"""Mean-field games with neural SDE population models (arXiv 2504.13228): the meeting game and
the El Farol bar as static games on the line, classical grid solvers (fictitious play, online
mirror descent) with NashConv and Wasserstein distances, and open_spiel's crowd-modelling game
with a learned population model of its ring."""

from worldmodels.meanfield.classical import nash_conv, solve_on_grid, wasserstein_1d
from worldmodels.meanfield.games import ElFarolGame, MeanFieldGame, MeetingGame, make_game
from worldmodels.meanfield.population import (
    ObservedPopulation,
    PopulationSDE,
    fit_population,
    load_population_model,
    save_population_model,
)
from worldmodels.meanfield.ring_population import (
    RingPopulationModel,
    fit_ring_population,
    sample_counts,
)

__all__ = [
    "ElFarolGame",
    "MeanFieldGame",
    "MeetingGame",
    "ObservedPopulation",
    "PopulationSDE",
    "RingPopulationModel",
    "fit_population",
    "fit_ring_population",
    "load_population_model",
    "make_game",
    "nash_conv",
    "sample_counts",
    "save_population_model",
    "solve_on_grid",
    "wasserstein_1d",
]
