"""Soft Condorcet Optimization: gametheory.voting vs open_spiel's Python reference.

Runs both on the same synthetic 10,000-vote profile (full batch, so the ratings must agree)
and prints one JSON object with timings, the speed-up and the largest rating difference.
Usage: python benchmarks/sco_speed.py [--votes N] [--iterations N]
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import torch
from machine import machine_info

from gametheory.voting import PreferenceProfile, sco_optimize


def synthetic_votes(num_votes: int, num_alternatives: int, seed: int) -> list:
    """Rankings of 2–5 random alternatives, noisy around hidden strengths (like game logs)."""
    rng = np.random.default_rng(seed)
    strength = rng.normal(0.0, 1.0, num_alternatives)
    votes = []
    for _ in range(num_votes):
        players = rng.choice(num_alternatives, size=int(rng.integers(2, 6)), replace=False)
        performance = strength[players] + rng.gumbel(size=len(players))
        votes.append((1, [f"agent{p}" for p in players[np.argsort(-performance)]]))
    return votes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--votes", type=int, default=10_000)
    parser.add_argument("--alternatives", type=int, default=50)
    parser.add_argument("--iterations", type=int, default=300)
    args = parser.parse_args()
    votes = synthetic_votes(args.votes, args.alternatives, seed=0)
    options = dict(lower=-100.0, upper=100.0, learning_rate=0.01, iterations=args.iterations)

    start = time.perf_counter()
    profile = PreferenceProfile(votes)
    ours = sco_optimize(profile, **options)
    ours_s = time.perf_counter() - start

    from open_spiel.python.voting import base
    from open_spiel.python.voting import soft_condorcet_optimization as osco

    start = time.perf_counter()
    reference_profile = base.PreferenceProfile(votes=[v for _, v in votes])
    solver = osco.SoftCondorcetOptimizer(
        reference_profile, rating_lower_bound=-100.0, rating_upper_bound=100.0
    )
    reference, _ = solver.run_solver(args.iterations, learning_rate=0.01)
    reference_s = time.perf_counter() - start

    order = [reference_profile.alternatives_dict[a] for a in profile.alternatives]
    print(
        json.dumps(
            {
                "benchmark": "sco_speed",
                "machine": machine_info(torch.device("cpu")),
                "votes": args.votes,
                "alternatives": args.alternatives,
                "iterations": args.iterations,
                "gametheory_s": round(ours_s, 4),
                "open_spiel_python_s": round(reference_s, 4),
                "speedup": round(reference_s / ours_s, 1),
                "max_abs_rating_diff": float(np.abs(ours - reference[order]).max()),
                "same_ranking": bool((np.argsort(-ours) == np.argsort(-reference[order])).all()),
            }
        )
    )


if __name__ == "__main__":
    main()
