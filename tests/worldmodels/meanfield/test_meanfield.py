"""Mean-field games: gradients, classical solvers, the neural SDE, and model files."""

from __future__ import annotations

import pytest
import torch
from scipy.stats import wasserstein_distance

from worldmodels.meanfield.classical import (
    histogram_on_grid,
    nash_conv,
    solve_on_grid,
    wasserstein_1d,
)
from worldmodels.meanfield.games import ElFarolGame, MeetingGame, make_game, weighted_quantile
from worldmodels.meanfield.population import (
    ObservedPopulation,
    PopulationSDE,
    fit_population,
    load_population_model,
    save_population_model,
    stationary_particles,
)

GRID = torch.linspace(9.0, 15.0, 241)


@pytest.mark.parametrize("game", [MeetingGame(habit_strength=0.5, habit=11.5), ElFarolGame()])
def test_analytic_gradient_matches_autograd(game):
    population = torch.randn(50, dtype=torch.float64) + (
        12.0 if isinstance(game, MeetingGame) else 0
    )
    weights = torch.ones_like(population)
    x = population[:7].clone().requires_grad_(True)
    cost = game.cost(x, population, weights).sum()
    (grad,) = torch.autograd.grad(cost, x)
    torch.testing.assert_close(game.gradient(x.detach(), population, weights), grad)


def test_weighted_quantile_agrees_with_uniform_samples():
    points = torch.linspace(0.0, 1.0, 101, dtype=torch.float64)
    assert float(weighted_quantile(points, torch.ones_like(points), 0.8)) == pytest.approx(
        0.8, abs=1e-2
    )
    weights = torch.zeros_like(points)
    weights[90:] = 1.0
    assert float(weighted_quantile(points, weights, 0.5)) == pytest.approx(0.95, abs=1e-2)


def test_wasserstein_matches_scipy():
    g = torch.Generator().manual_seed(0)
    a, b = torch.randn(30, generator=g), torch.randn(50, generator=g) + 0.7
    wa = torch.rand(30, generator=g)
    expected = wasserstein_distance(a.numpy(), b.numpy(), wa.numpy())
    assert wasserstein_1d(a, b, wa) == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize("game", [MeetingGame(habit_strength=1.0, habit=11.5), ElFarolGame()])
def test_fictitious_play_and_mirror_descent_reach_the_same_equilibrium(game):
    grid = GRID if isinstance(game, MeetingGame) else torch.linspace(-6.0, 6.0, 241)
    fp = solve_on_grid(game, grid, "fictitious_play", 400)
    md = solve_on_grid(game, grid, "mirror_descent", 200)
    assert md.nash_conv[-1] < 1e-6
    assert fp.nash_conv[-1] < 0.05 * fp.nash_conv[0]
    assert wasserstein_1d(grid, grid, fp.weights, md.weights) < 0.1
    uniform = torch.full_like(grid, 1.0 / len(grid)).double()
    assert nash_conv(game, grid.double(), uniform) > 10 * md.nash_conv[-1] + 1e-3
    if isinstance(game, ElFarolGame):  # attendance rises with the threshold, stays below it
        attendance = float(game.attendance(grid.double(), md.weights))
        lower = ElFarolGame(threshold=0.6)
        low = solve_on_grid(lower, grid, "mirror_descent", 200).weights
        assert float(lower.attendance(grid.double(), low)) < attendance < game.threshold


def test_unknown_game_and_solver_are_named():
    with pytest.raises(ValueError, match="valid: meeting, el_farol"):
        make_game("poker")
    with pytest.raises(ValueError, match=r"valid:.*scheduled"):
        make_game("meeting", schedule=3.0)
    with pytest.raises(ValueError, match="unknown solver 'cfr'"):
        solve_on_grid(MeetingGame(), GRID, "cfr")


def _observed(truth: PopulationSDE, times: list[float], agents: int, seed: int):
    g = torch.Generator().manual_seed(seed)
    x0 = 12.0 + 0.5 * torch.randn(agents, generator=g)
    with torch.no_grad():
        return ObservedPopulation(times, truth.simulate(x0, times, g))


def test_neural_sde_learns_the_missing_drift_and_nears_the_classical_equilibrium():
    torch.manual_seed(0)
    truth_game = MeetingGame(habit_strength=1.0, habit=11.5)
    truth = PopulationSDE(truth_game, neural=False, dt=0.05)
    data = _observed(truth, [0.0, 2.0, 4.0, 6.0], agents=200, seed=0)
    known_only = PopulationSDE(MeetingGame(), neural=False, dt=0.1)
    model = PopulationSDE(MeetingGame(), center=12.0, spread=1.0, hidden=16, dt=0.1)
    history = fit_population(model, data, iterations=40, particles=200, learning_rate=3e-2)
    assert history[-1] < 0.5 * history[0]
    equilibrium = solve_on_grid(truth_game, GRID, "mirror_descent", 200)
    start = 12.0 + 0.5 * torch.randn(2000)
    learned = stationary_particles(model, start, 15.0)
    known = stationary_particles(known_only, start, 15.0)
    w_learned = wasserstein_1d(learned, GRID, None, equilibrium.weights)
    w_known = wasserstein_1d(known, GRID, None, equilibrium.weights)
    assert w_learned < 0.5 * w_known
    nc_learned = nash_conv(truth_game, GRID.double(), histogram_on_grid(learned, GRID))
    nc_known = nash_conv(truth_game, GRID.double(), histogram_on_grid(known, GRID))
    assert nc_learned < nc_known


def test_population_model_file_round_trip(tmp_path):
    model = PopulationSDE(ElFarolGame(threshold=0.6), center=0.0, spread=2.0, hidden=8)
    torch.nn.init.normal_(model.drift_net.net[-1].weight)
    path = tmp_path / "population.pt"
    save_population_model(model, path)
    loaded = load_population_model(path)
    assert loaded.game == model.game
    x = torch.linspace(-2, 2, 9)
    torch.testing.assert_close(loaded.drift(x), model.drift(x))
    (tmp_path / "bad.pt").write_bytes(b"not a model")
    with pytest.raises(ValueError, match="not a population model file"):
        load_population_model(tmp_path / "bad.pt")
