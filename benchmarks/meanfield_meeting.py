"""Neural-SDE population model vs classical equilibrium solvers on mean-field games.

For the meeting game and the El Farol bar, a population of ``--agents`` players follows the
noisy gradient flow of the game plus a private habit the modeller does not know; the neural SDE
``dX = −∂ₓℓ dt + √(2ν) dW + f_θ dt`` is fitted to the observed population at t = 1..15 and run to
its long-run law. That law is compared with the classical equilibrium (online mirror descent and
fictitious play on a grid): Wasserstein-1 distance and regularised NashConv, next to the model
that knows only the game (no f_θ). open_spiel's crowd-modelling game is solved with its own
fictitious play and mirror descent (NashConv, distance between their distributions); a ring
population model (known myopic moves + learned logits f_θ) is fitted to ``--agents`` agents
drawn from fictitious play's distribution at each step, and compared with it (mean ring W₁ over
the steps) and by the NashConv of its policy, next to the untrained (myopic) model.
Prints one JSON object. Usage: python benchmarks/meanfield_meeting.py [--iterations 100]
"""

from __future__ import annotations

import argparse
import json
import time

import torch
from machine import machine_info

from worldmodels.meanfield.classical import (
    histogram_on_grid,
    nash_conv,
    solve_on_grid,
    wasserstein_1d,
)
from worldmodels.meanfield.crowd_modelling import (
    evaluate_crowd_policy,
    mean_ring_wasserstein,
    solve_crowd_modelling,
)
from worldmodels.meanfield.games import ElFarolGame, MeanFieldGame, MeetingGame
from worldmodels.meanfield.population import (
    ObservedPopulation,
    PopulationSDE,
    fit_population,
    stationary_particles,
)
from worldmodels.meanfield.ring_population import (
    RingPopulationModel,
    fit_ring_population,
    sample_counts,
)

GAMES = {  # truth (with the habit), the modeller's game, grid, initial mean and spread
    "meeting": (MeetingGame(habit_strength=1.0, habit=11.5), MeetingGame(),
                torch.linspace(9.0, 15.0, 301), 12.0, 0.5),
    "el_farol": (ElFarolGame(habit_strength=0.3, habit=-1.0), ElFarolGame(),
                 torch.linspace(-6.0, 6.0, 301), 0.0, 1.0),
}  # fmt: skip


def run_game(
    truth: MeanFieldGame,
    known: MeanFieldGame,
    grid: torch.Tensor,
    center: float,
    spread: float,
    args: argparse.Namespace,
) -> dict:
    """Fit the neural SDE to observations of ``truth``; compare it with the classical solution."""
    g = torch.Generator().manual_seed(args.seed)
    times = [float(t) for t in range(16)]
    observer = PopulationSDE(truth, neural=False, dt=0.01)
    with torch.no_grad():
        observed = observer.simulate(
            center + spread * torch.randn(args.agents, generator=g), times, g
        )
    data = ObservedPopulation(times, observed)
    start = time.perf_counter()
    omd = solve_on_grid(truth, grid, "mirror_descent", 300)
    fp = solve_on_grid(truth, grid, "fictitious_play", 300)
    classical_s = time.perf_counter() - start
    torch.manual_seed(args.seed)
    model = PopulationSDE(known, center=center, spread=spread, hidden=32, dt=0.05)
    start = time.perf_counter()
    history = fit_population(model, data, args.iterations, particles=256, seed=args.seed)
    fit_s = time.perf_counter() - start
    x0 = center + spread * torch.randn(args.particles, generator=g)
    known_only = PopulationSDE(known, neural=False, dt=0.05)
    true_dynamics = PopulationSDE(truth, neural=False, dt=0.05)
    laws = {
        "neural_sde": stationary_particles(model, x0, 30.0, args.seed),
        "known_game_only": stationary_particles(known_only, x0, 30.0, args.seed),
        "true_dynamics": stationary_particles(true_dynamics, x0, 30.0, args.seed),
    }
    out = {
        name: {
            "w1_to_mirror_descent": wasserstein_1d(x, grid, None, omd.weights),
            "w1_to_fictitious_play": wasserstein_1d(x, grid, None, fp.weights),
            "nash_conv": nash_conv(truth, grid.double(), histogram_on_grid(x, grid)),
        }
        for name, x in laws.items()
    }
    out["observed_t15"] = {
        "w1_to_mirror_descent": wasserstein_1d(observed[-1], grid, None, omd.weights)
    }
    out["classical"] = {
        "nash_conv_mirror_descent": omd.nash_conv[-1],
        "nash_conv_fictitious_play": fp.nash_conv[-1],
        "w1_fictitious_play_to_mirror_descent": wasserstein_1d(grid, grid, fp.weights, omd.weights),
        "seconds": round(classical_s, 2),
    }
    out["fit"] = {"w1_first": history[0], "w1_last": history[-1], "seconds": round(fit_s, 1)}
    return out


def run_crowd_modelling(args: argparse.Namespace) -> dict:
    """open_spiel's solvers on the crowd-modelling ring, and the ring population model fitted
    to agents drawn from fictitious play's distribution."""
    start = time.perf_counter()
    crowd = {s: solve_crowd_modelling(s, args.crowd_solver_iterations)
             for s in ("uniform", "fictitious_play", "mirror_descent")}  # fmt: skip
    classical_s = time.perf_counter() - start
    fp, md = crowd["fictitious_play"].distribution, crowd["mirror_descent"].distribution
    horizon = len(fp) - 1  # open_spiel's last row (terminal states) is empty
    counts = sample_counts(fp[:horizon], args.agents, args.seed)
    torch.manual_seed(args.seed)
    model = RingPopulationModel(len(fp[0]), horizon)
    start = time.perf_counter()
    history = fit_ring_population(model, counts, args.crowd_iterations)
    fit_s = time.perf_counter() - start
    observed = counts / counts.sum(1, keepdims=True)
    out: dict = {f"nash_conv_{s}": c.nash_conv for s, c in crowd.items()}
    out["mean_ring_w1_fp_to_md"] = mean_ring_wasserstein(fp, md)
    out["observed_histograms"] = {"mean_ring_w1_to_fp": mean_ring_wasserstein(observed, fp)}
    out["uniform"] = {"mean_ring_w1_to_fp": mean_ring_wasserstein(crowd["uniform"].distribution,
                                                                  fp)}  # fmt: skip
    myopic = RingPopulationModel(len(fp[0]), horizon, neural=False)
    for name, ring in (("learned_model", model), ("known_moves_only", myopic)):
        with torch.no_grad():
            distributions, policies = ring.rollout()
        evaluated = evaluate_crowd_policy(policies.numpy())
        out[name] = {
            "mean_ring_w1_to_fp": mean_ring_wasserstein(distributions.numpy(), fp),
            "mean_ring_w1_to_md": mean_ring_wasserstein(distributions.numpy(), md),
            "nash_conv": evaluated.nash_conv,
            "max_gap_to_open_spiel_distribution": float(
                abs(evaluated.distribution[:horizon] - distributions.numpy()[:horizon]).max()
            ),
        }
    out["fit"] = {"nll_first": history[0], "nll_last": history[-1], "seconds": round(fit_s, 1)}
    out["classical_seconds"] = round(classical_s, 1)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=42)
    parser.add_argument("--iterations", type=int, default=100)
    parser.add_argument("--particles", type=int, default=4000)
    parser.add_argument("--crowd-solver-iterations", type=int, default=10)
    parser.add_argument("--crowd-iterations", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.set_num_threads(1)
    report: dict = {"benchmark": "meanfield_meeting", "settings": vars(args)}
    for name, spec in GAMES.items():
        report[name] = run_game(*spec, args)
    report["crowd_modelling"] = run_crowd_modelling(args)
    report["machine"] = machine_info(torch.device("cpu"))
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
