"""Least core of a 100-player weighted voting game: coalition sampling vs a sampled LP.

Prints one JSON object: wall time, ε and the certified ε (ε plus the worst deficit on
fresh random coalitions) for the Lagrangian coalition-sampling method and for the HiGHS LP
over a fixed sample of coalitions.
Usage: python benchmarks/least_core_speed.py [--players N]
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import torch
from machine import machine_info

from gametheory.coalitions import (
    WeightedVotingGame,
    least_core_lp,
    least_core_sampling,
    max_deficit,
    random_coalitions,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--players", type=int, default=100)
    parser.add_argument("--lp-samples", type=int, default=20_000)
    parser.add_argument("--checks", type=int, default=100_000)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    weights = rng.integers(1, 20, args.players).astype(float)
    game = WeightedVotingGame(weights, quota=weights.sum() / 2)
    checks = random_coalitions(args.players, args.checks, np.random.default_rng(1))

    start = time.perf_counter()
    sampled = least_core_sampling(game)
    sampling_s = time.perf_counter() - start

    start = time.perf_counter()
    lp = least_core_lp(game, num_samples=args.lp_samples, refine=False)
    lp_s = time.perf_counter() - start

    print(
        json.dumps(
            {
                "benchmark": "least_core_speed",
                "machine": machine_info(torch.device("cpu")),
                "players": args.players,
                "sampling_s": round(sampling_s, 3),
                "sampling_epsilon": round(sampled.epsilon, 4),
                "sampling_certified_epsilon": round(max_deficit(game, sampled.payoff, checks), 4),
                "lp_samples": args.lp_samples,
                "lp_s": round(lp_s, 3),
                "lp_epsilon": round(lp.epsilon, 4),
                "lp_certified_epsilon": round(max_deficit(game, lp.payoff, checks), 4),
                "payoff_l1_diff": round(float(np.abs(sampled.payoff - lp.payoff).sum()), 4),
            }
        )
    )


if __name__ == "__main__":
    main()
