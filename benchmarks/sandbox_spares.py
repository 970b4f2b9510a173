"""Research sandbox: solutions per minute with spare sandboxes (imports done ahead) against
sandboxes started for each solution.

Random search (the same seed, so the same configs in the same order) runs for the same wall
time per task in both modes, one after the other, in the same process; reports solutions run,
solutions per minute, the median measured execution time, and whether the solutions both modes
ran scored the same (spares must not change a score). Prints one JSON object.
Usage: python benchmarks/sandbox_spares.py [--seconds S] [--tasks a,b] [--spares N]
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import numpy as np
import torch
from machine import machine_info

from research_agent.execution.execute import execute, task_limits
from research_agent.execution.sandbox import isolation_backend
from research_agent.execution.spares import Spares
from research_agent.tasks import load_task
from research_agent.tuners import random_search


def measure(task_id: str, spares: int, seconds: float, out: Path) -> dict[str, object]:
    """Random search on ``task_id`` for ``seconds`` with ``spares`` spare sandboxes."""
    task = load_task(task_id, runner=execute)
    with Spares(capacity=spares) as sandboxes:
        outcome = random_search(task, seconds, out, task_limits(task), seed=0, spares=sandboxes)
    times = [result.exec_time for _, result in outcome.trials]
    return {
        "solutions": len(outcome.trials),
        "per_minute": round(60 * len(outcome.trials) / outcome.seconds, 1),
        "median_exec_s": round(float(np.median(times)), 3),
        "spares_used": sandboxes.used,
        "scores": [result.score for _, result in outcome.trials],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0, help="per task and mode")
    parser.add_argument("--tasks", default="breast_cancer,diabetes,cartpole_dynamics")
    parser.add_argument("--spares", type=int, default=2)
    args = parser.parse_args()
    results = {}
    with tempfile.TemporaryDirectory(prefix="spares_bench_") as tmp:
        for task_id in args.tasks.split(","):
            row = {}
            for spares in (0, args.spares):
                row[f"spares_{spares}"] = measure(
                    task_id, spares, args.seconds, Path(tmp) / task_id / str(spares)
                )
            cold, warm = row["spares_0"], row[f"spares_{args.spares}"]
            common = min(len(cold["scores"]), len(warm["scores"]))
            row["same_scores"] = cold["scores"][:common] == warm["scores"][:common]
            row["speedup"] = round(warm["per_minute"] / cold["per_minute"], 2)
            for mode in (cold, warm):
                del mode["scores"]
            results[task_id] = row
    print(
        json.dumps(
            {
                "benchmark": "sandbox_spares",
                "machine": machine_info(torch.device("cpu")),
                "isolation": isolation_backend(),
                "seconds_per_task_and_mode": args.seconds,
                "tasks": results,
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
