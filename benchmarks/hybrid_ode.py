"""Hybrid mechanistic + neural ODE vs mechanistic-only vs pure neural ODE on the Brusselator.

The empirical model misses the autocatalytic reaction ``2 X + Y -> 3 X``. Each model is trained
on ``--trajectories`` noisy, irregularly sampled trajectories of ``--horizon`` time units, then
predicts held-out trajectories from their initial states over 10× the training horizon. Prints
one JSON object: the RMSE of each model there, the ratios to the hybrids, and the
oscillation-period errors.

The known part's rate constants κ start from the literature values perturbed by a seeded
log-normal factor of spread ``--rate-perturbation`` (0: the true values) and are learned in
``mechanistic`` and ``hybrid``; ``hybrid_fixed_rates`` keeps them at those starting values.
The network absorbs known reactions when κ and θ are fitted jointly from the start (the
decomposition is not identifiable from data: a reaction missing from the model can be traded
against the known ones), so ``hybrid`` is trained in stages: ``--neural-warmup`` iterations of θ
with κ frozen, then the rest of the ``--iterations`` budget jointly (every model gets the same
number of iterations). ``hybrid_stoichiometric`` is trained the same way but uses more prior
knowledge: its residual knows the stoichiometry of the missing reaction (``--missing``, default
``2 X + Y -> 3 X``: f_θ = r_θ(y) · (+1, −1)) though not its rate law; the rate r_θ ≥ 0 is
learned (``--kinetics``: ``power_law``, exp of learned orders times log y plus an MLP of log y,
or ``softplus`` of an MLP; see :class:`worldmodels.ode.fields.StoichiometricField`).
``hybrid`` keeps the free 2-output residual. The last ``--final-iterations`` of every model's
budget fit ``--final-window`` pieces (0: whole trajectories) instead of ``--window`` ones:
multiple shooting frees each window's phase, while the period, which the 10× horizon error
hinges on, is pinned far better by whole-trajectory fits.

``--seeds 0 1 2`` repeats the whole benchmark per seed (training and test data, the rate
perturbation and the networks' initialisation all follow the seed; the neural ODE and the
hybrids start from the same network). The report then has a ``per_seed`` list of the
single-seed reports and a ``summary`` (mean, median, min and max over the seeds of every RMSE,
period error and ratio); the top-level ``results`` and ratios are the medians over the seeds
(with one seed, that seed's values).
Usage: python benchmarks/hybrid_ode.py [--horizon 8] [--iterations 30] [--window 2]
    [--final-iterations 10] [--final-window 0] [--seeds 0 1 2]
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import time
from dataclasses import replace
from typing import Any

import torch
from machine import machine_info

from worldmodels.ode.brusselator import RATES, brusselator, sample_trajectories
from worldmodels.ode.fields import (
    KINETICS,
    HybridField,
    MLPField,
    StoichiometricField,
    integrate,
)
from worldmodels.ode.period import estimate_period, period_error
from worldmodels.ode.reactions import ReactionNetwork
from worldmodels.ode.training import ODETrainConfig, fit_field

KINDS = ("mechanistic", "neural", "hybrid", "hybrid_fixed_rates", "hybrid_stoichiometric")
STAGED = ("hybrid", "hybrid_stoichiometric")  # trained θ first with κ frozen, then jointly
RATIOS = {  # report key: (numerator model, denominator model)
    "rmse_ratio_mechanistic_to_hybrid": ("mechanistic", "hybrid"),
    "rmse_ratio_neural_to_hybrid": ("neural", "hybrid"),
    "rmse_ratio_mechanistic_to_hybrid_stoichiometric": ("mechanistic", "hybrid_stoichiometric"),
    "rmse_ratio_neural_to_hybrid_stoichiometric": ("neural", "hybrid_stoichiometric"),
}
MISSING = ("2 X + Y -> 3 X, c",)  # the stoichiometric residual's default reactions
FIXED_RATIOS = {k: (k, "hybrid_fixed_rates") for k in ("mechanistic", "neural")}


def build(
    kind: str,
    shift: torch.Tensor,
    scale: torch.Tensor,
    rates: dict[str, float],
    hybrid_hidden: int = 64,
    hybrid_out_scale: float = 1.0,
    missing: tuple[str, ...] = MISSING,
    initial_rate: float = 1.0,
    kinetics: str = "power_law",
) -> HybridField:
    """One of :data:`KINDS`; the known part misses the rate-``c`` reaction and starts at
    ``rates``, learned except in ``hybrid_fixed_rates``. The neural ODE's network has 64 units
    per layer and outputs in units of the data's spread; the hybrids' residual has
    ``hybrid_hidden`` units and outputs ``hybrid_out_scale`` times that: a free 2-output MLP,
    or in ``hybrid_stoichiometric`` the non-negative rates (``kinetics``, starting at
    ``initial_rate`` times the mean spread) of reactions with the stoichiometry of ``missing``
    (reaction strings; their rate names are ignored): the modeller knows which reaction is
    missing, not its rate law."""
    learn = kind != "hybrid_fixed_rates"
    known = brusselator("c", rates, learn_rates=learn) if kind != "neural" else None
    if kind == "mechanistic":
        return HybridField(known, None)
    if kind == "hybrid_stoichiometric":
        directions = ReactionNetwork(list(missing), species=["X", "Y"]).stoichiometry
        residual = StoichiometricField(directions, hybrid_hidden, 2, shift, scale,
                                       rate_scale=hybrid_out_scale * scale.mean(),
                                       initial_rate=initial_rate, kinetics=kinetics)  # fmt: skip
        return HybridField(known, residual)
    hidden, out = (64, 1.0) if kind == "neural" else (hybrid_hidden, hybrid_out_scale)
    return HybridField(known, MLPField(2, hidden, 2, shift, scale, out_scale=out * scale))


def perturbed_rates(spread: float, seed: int) -> dict[str, float]:
    """The literature rates times seeded log-normal factors ``exp(spread · N(0, 1))``."""
    g = torch.Generator().manual_seed(seed)
    return {k: v * float(torch.exp(spread * torch.randn(1, generator=g))) for k, v in RATES.items()}


def _finite(x: float) -> float | None:
    return x if x == x else None


def run_seed(args: argparse.Namespace, seed: int, kinds: tuple[str, ...] = KINDS) -> dict:
    """The benchmark's report for one seed (without the settings and the machine)."""
    truth = brusselator()
    g = torch.Generator().manual_seed(seed)
    initial = torch.rand(2 * args.trajectories, 2, generator=g) * torch.tensor([2.5, 3.0]) + 0.5
    train, _ = sample_trajectories(
        truth, initial[: args.trajectories], args.horizon, args.points, args.noise, seed + 1
    )
    values = torch.cat([tr.values for tr in train])
    test_start = initial[args.trajectories :]
    long_t = torch.linspace(0.0, 10 * args.horizon, 500)
    period_t = torch.linspace(0.0, 300.0, 6000)
    with torch.no_grad():
        reference = integrate(truth, test_start, long_t, rtol=1e-8, atol=1e-10)
        true_period = estimate_period(
            period_t.numpy(), integrate(truth, test_start[0], period_t)[:, 0].numpy()
        )
    first = args.iterations - args.final_iterations  # iterations on --window pieces
    if first < 0 or (args.neural_warmup > first):
        raise ValueError("need --iterations >= --final-iterations + --neural-warmup")
    cfg = ODETrainConfig(iterations=first, window=args.window, rtol=1e-4, atol=1e-6,
                         neural_penalty=args.neural_penalty, seed=seed)  # fmt: skip
    # the hybrids' staged schedule, within the same iteration budget
    staged = replace(cfg, iterations=first - args.neural_warmup,
                     neural_warmup=args.neural_warmup,
                     weight_decay=args.hybrid_weight_decay)  # fmt: skip
    # then every model's last --final-iterations on --final-window pieces (0: whole trajectories)
    final = replace(cfg, iterations=args.final_iterations, window=args.final_window or None)
    staged_final = replace(final, weight_decay=staged.weight_decay)
    initial_rates = perturbed_rates(args.rate_perturbation, seed + 2)
    results = {}
    for kind in kinds:
        torch.manual_seed(seed)  # every network starts from the seed's initialisation
        model = build(kind, values.mean(0), values.std(0), initial_rates, args.hybrid_hidden,
                      args.hybrid_out_scale, tuple(args.missing), args.initial_rate,
                      args.kinetics)  # fmt: skip
        start = time.perf_counter()
        history = fit_field(model, train, staged if kind in STAGED else cfg)
        if args.final_iterations and "stopped" not in history:
            history = fit_field(model, train, staged_final if kind in STAGED else final)
        seconds = time.perf_counter() - start
        rmse, period = _evaluate(model, test_start, long_t, reference, period_t)
        results[kind] = {
            "rmse_10x_horizon": _finite(rmse),
            "period": _finite(period),
            "period_error": period_error(period, true_period),
            "train_loss": history["loss"][-1],
            "train_seconds": round(seconds, 1),
            "rates": model.known.rates() if model.known is not None else None,
        }
        done = results[kind]
        line = f"seed {seed} {kind}: rmse {rmse:.4g}, period error {done['period_error']:.3g}"
        line += f", {seconds:.0f} s, rates {done['rates']}"
        print(line, file=sys.stderr, flush=True)
    report: dict[str, Any] = {
        "seed": seed,
        "initial_rates": initial_rates,
        "true_period": true_period,
        "results": results,
    }
    report.update(_ratios(results, RATIOS))
    report["rmse_ratios_to_hybrid_fixed_rates"] = _ratios(results, FIXED_RATIOS)
    return report


def _evaluate(
    model: HybridField,
    start: torch.Tensor,
    t: torch.Tensor,
    reference: torch.Tensor,
    period_t: torch.Tensor,
) -> tuple[float, float]:
    """RMSE against ``reference`` of the predictions from ``start`` over ``t``, and the period
    of the first one's X over ``period_t``; nan for a prediction that blows up (the solver's
    step size underflows)."""
    with torch.no_grad():
        try:
            predicted = integrate(model, start, t, rtol=1e-6, atol=1e-8)
            rmse = float(((predicted - reference) ** 2).mean().sqrt())
        except AssertionError:  # torchdiffeq's step-size underflow
            rmse = math.nan
        try:
            path = integrate(model, start[0], period_t)[:, 0].numpy()
            period = estimate_period(period_t.numpy(), path)
        except AssertionError:
            period = math.nan
    return rmse, period


def _ratios(results: dict, pairs: dict[str, tuple[str, str]]) -> dict[str, float | None]:
    out = {}
    for key, (a, b) in pairs.items():
        if a in results and b in results:
            num, den = results[a]["rmse_10x_horizon"], results[b]["rmse_10x_horizon"]
            out[key] = num / den if num is not None and den else None
    return out


def _stats(values: list[float | None]) -> dict[str, Any] | None:
    """Mean, median, min and max of the finite values (None where none is)."""
    kept = [v for v in values if v is not None and v == v]
    if not kept:
        return None
    return {
        "mean": statistics.fmean(kept),
        "median": statistics.median(kept),
        "min": min(kept),
        "max": max(kept),
        "per_seed": values,
        "diverged": len(values) - len(kept),
    }


def summarise(per_seed: list[dict]) -> dict[str, Any]:
    """Statistics over the seeds of each model's RMSE and period error, and of each ratio."""
    summary: dict[str, Any] = {"seeds": [r["seed"] for r in per_seed], "models": {}}
    for kind in per_seed[0]["results"]:
        summary["models"][kind] = {
            key: _stats([r["results"][kind][key] for r in per_seed])
            for key in ("rmse_10x_horizon", "period_error")
        }
    for key in RATIOS:
        if key in per_seed[0]:
            summary[key] = _stats([r[key] for r in per_seed])
    summary["rmse_ratios_to_hybrid_fixed_rates"] = {
        key: _stats([r["rmse_ratios_to_hybrid_fixed_rates"][key] for r in per_seed])
        for key in per_seed[0]["rmse_ratios_to_hybrid_fixed_rates"]
    }
    return summary


def _median(values: list[Any]) -> Any:
    kept = [v for v in values if v is not None and v == v]
    return statistics.median(kept) if kept else None


def report(args: argparse.Namespace, per_seed: list[dict]) -> dict[str, Any]:
    """The JSON report: the single-seed fields (medians over the seeds), ``per_seed`` and
    ``summary``."""
    first = per_seed[0]
    results = {
        kind: {
            key: _median([r["results"][kind][key] for r in per_seed])
            if key != "rates"
            else first["results"][kind]["rates"]
            for key in first["results"][kind]
        }
        for kind in first["results"]
    }
    out: dict[str, Any] = {
        "benchmark": "hybrid_ode_brusselator",
        "settings": vars(args),
        "true_rates": RATES,
        "initial_rates": first["initial_rates"],
        "true_period": first["true_period"],
        "results": results,
    }
    for key in RATIOS:
        if key in first:
            out[key] = _median([r[key] for r in per_seed])
    out["rmse_ratios_to_hybrid_fixed_rates"] = {
        key: _median([r["rmse_ratios_to_hybrid_fixed_rates"][key] for r in per_seed])
        for key in first["rmse_ratios_to_hybrid_fixed_rates"]
    }
    out["per_seed"] = per_seed
    out["summary"] = summarise(per_seed)
    out["machine"] = machine_info(torch.device("cpu"))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trajectories", type=int, default=10)
    parser.add_argument("--points", type=int, default=20)
    parser.add_argument("--horizon", type=float, default=8.0)
    parser.add_argument("--noise", type=float, default=0.02)
    parser.add_argument("--iterations", type=int, default=30)
    parser.add_argument("--window", type=float, default=2.0)
    parser.add_argument(
        "--final-iterations",
        type=int,
        default=10,
        help="the budget's last iterations, on --final-window pieces",
    )
    parser.add_argument(
        "--final-window",
        type=float,
        default=0.0,
        help="window of the final iterations (0: whole trajectories)",
    )
    parser.add_argument("--neural-penalty", type=float, default=0.0)
    parser.add_argument("--neural-warmup", type=int, default=15)
    parser.add_argument("--hybrid-hidden", type=int, default=64)
    parser.add_argument("--hybrid-out-scale", type=float, default=1.0)
    parser.add_argument("--hybrid-weight-decay", type=float, default=0.0)
    parser.add_argument(
        "--missing",
        nargs="+",
        default=list(MISSING),
        help="reactions whose stoichiometry the stoichiometric residual knows",
    )
    parser.add_argument(
        "--initial-rate",
        type=float,
        default=1.0,
        help="the stoichiometric residual's starting rates, in units of the data's spread",
    )
    parser.add_argument("--kinetics", choices=KINETICS, default="power_law",
                        help="the stoichiometric residual's rate form")  # fmt: skip
    parser.add_argument("--rate-perturbation", type=float, default=0.2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--seeds", type=int, nargs="+", help="several seeds (overrides --seed)")
    parser.add_argument("--models", nargs="+", choices=KINDS, default=list(KINDS))
    args = parser.parse_args()
    torch.set_num_threads(1)
    seeds = args.seeds if args.seeds else [args.seed]
    per_seed = [run_seed(args, seed, tuple(args.models)) for seed in seeds]
    print(json.dumps(report(args, per_seed), indent=1))


if __name__ == "__main__":
    main()
