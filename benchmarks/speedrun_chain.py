"""Speedrun chain: every record must reach the target loss strictly faster than the one before.

Writes one task folder of the preset, then runs records 0..N-1 round-robin ``--repeats`` times
each, in the research agent's sandbox (one CPU thread, like a task run), and prints one JSON
object: per record the graded wall times (median, min, max; what a task scores), the CPU
seconds of the run's process (robust to other jobs on a shared machine), training steps to the
target, the in-script training seconds, the script's own validation loss at its stop and the
graded loss on the held-out validation and test queries, and whether each record's median beats
the previous.
Usage: python benchmarks/speedrun_chain.py [--preset cpu] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from itertools import pairwise
from pathlib import Path

import torch
from machine import machine_info

from research_agent.execution.execute import execute
from research_agent.tasks.grading import grade
from research_agent.tasks.spec import TaskFolder
from research_agent.tasks.speedrun.presets import preset
from research_agent.tasks.speedrun.records import num_records, record_code, record_name
from research_agent.tasks.speedrun.tasks import task_spec, write_folder


def run_record(
    task: TaskFolder, index: int, scratch: Path, gpu: int | None = None
) -> dict[str, float]:
    """One sandboxed run of record ``index`` (on GPU ``gpu``; None: no GPU visible): graded
    wall time, steps and training seconds."""
    node = scratch / f"record{index}"
    result = execute(task, record_code(index), node, gpu=gpu)
    test = grade(task, node / "workspace" / "test_predictions.npy", "test", result.exec_time)
    if result.score is None or "error" in test:
        error = result.error or test["error"]
        raise RuntimeError(f"record {index} failed: {error}\n{result.stderr[-2000:]}")
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    return {
        "wall_s": result.score,
        "cpu_s": summary["cpu_s"],
        "steps": summary["steps"],
        "train_s": summary["seconds"],
        "own_val_loss": summary["val_loss"],
        "graded_val_loss": result.evaluation["loss"],
        "graded_test_loss": test["loss"],
    }


def _stats(values: list[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="cpu")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    spec = preset(args.preset)
    count = num_records()
    runs: list[list[dict[str, float]]] = [[] for _ in range(count)]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "task"
        write_folder(root, spec, 0, "none")
        task = TaskFolder(root, task_spec("speedrun_bench", spec, 0, 2.0, 1.0))
        for _ in range(args.repeats):
            for index in range(count):
                runs[index].append(run_record(task, index, Path(tmp)))
                print(json.dumps({"record": index, **runs[index][-1]}), file=sys.stderr, flush=True)
    records = []
    for index, measured in enumerate(runs):
        records.append(
            {
                "record": index,
                "name": record_name(index),
                "wall_s": _stats([m["wall_s"] for m in measured]),
                "cpu_s": _stats([m["cpu_s"] for m in measured]),
                "train_s": _stats([m["train_s"] for m in measured]),
                "steps": _stats([m["steps"] for m in measured]),
                **{
                    key: _stats([m[key] for m in measured])
                    for key in ("own_val_loss", "graded_val_loss", "graded_test_loss")
                },
                "all_wall_s": [round(m["wall_s"], 2) for m in measured],
                "all_cpu_s": [round(m["cpu_s"], 2) for m in measured],
            }
        )
    medians = [r["wall_s"]["median"] for r in records]
    cpu_medians = [r["cpu_s"]["median"] for r in records]
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    report = {
        "benchmark": "speedrun_chain",
        "preset": spec.name,
        "target_loss": spec.target_loss,
        "graded_limit": spec.target_loss + spec.slack,
        "queries_per_split": spec.num_queries,
        "repeats": args.repeats,
        "records": records,
        "each_strictly_faster_median": all(b < a for a, b in pairwise(medians)),
        "each_strictly_faster_median_cpu": all(b < a for a, b in pairwise(cpu_medians)),
        "each_faster_worst_vs_best": all(
            b["wall_s"]["max"] < a["wall_s"]["min"] for a, b in pairwise(records)
        ),
        "machine": machine_info(device),
    }
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
