"""Scale-out: solutions per minute and episodes per second, local executors vs Ray.

Synthetic solutions either sleep (waiting on a sandbox or a remote GPU) or compute (a busy
loop of fixed CPU time); a greedy search runs ``tasks_per_worker`` of them per worker with 1, 2,
4 and 8 workers, on the research agent's local executor (threads for sleeping solutions,
processes for computing ones) and on Ray. Episodes are real (random agent, cartpole-balance)
run sequentially (``executor=local``), on a local process pool, and on Ray. The scheduling
overhead per task comes from the gap to the ideal time and from no-op round trips; the JSON
also holds the numbers the projection in docs/scaleout.md uses. Prints one JSON object.
Usage: python benchmarks/scaleout_throughput.py [--seconds S] [--workers 1,2,4,8]
"""

from __future__ import annotations

import argparse
import json
import math
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

import torch
from machine import machine_info

from embodied.data.ray_rollouts import EpisodeTask, episodes_on_ray
from planning.budget import Budget
from planning.domain import Expansion, ExpansionJob
from planning.executors import Executor, ProcessExecutor, ThreadExecutor
from planning.greedy import Greedy, GreedyConfig
from planning.ray_executor import RayExecutor, RaySettings, ensure_ray, ray_map, task_options

ENV = {"id": "cartpole-balance", "max_episode_steps": 1000, "frame_skip": None, "width": 320,
       "height": 240, "options": {}}  # fmt: skip
AGENT = {"_target_": "embodied.agents.RandomAgent"}


@dataclass(frozen=True)
class SyntheticSolutions:
    """A search domain whose every solution takes ``seconds``: sleeping or computing."""

    seconds: float
    compute: bool

    def expand(self, job: ExpansionJob) -> Expansion:
        if self.compute:  # CPU seconds of this process: workers beyond the cores must queue
            end, x = time.process_time() + self.seconds, 0
            while time.process_time() < end:
                x += 1
        else:
            time.sleep(self.seconds)
        return Expansion(payload=job.seed, score=float(job.seed % 97))


def search_throughput(
    make: Callable[[int], Executor],
    domain: SyntheticSolutions,
    workers: int,
    tasks: int,
    repeats: int,
) -> dict[str, float]:
    """Solutions per minute of a greedy search of ``tasks`` solutions on ``workers`` workers
    (the best of ``repeats`` searches, after every worker has started)."""
    walls = []
    with make(workers) as executor:
        warm = [ExpansionJob("draft", (), s) for s in range(workers)]
        for _ in range(2):  # workers start slowly on a loaded machine: let all of them come up
            executor.map(SyntheticSolutions(0.5, False).expand, warm)
        for _ in range(repeats):
            policy = Greedy(GreedyConfig(seed=0, parallel=workers, num_drafts=tasks))
            start = time.perf_counter()
            tree = policy.run(domain, Budget(max_steps=tasks), executor)
            walls.append(time.perf_counter() - start)
            if len(tree) != tasks or tree.buggy_nodes():
                raise RuntimeError(f"a synthetic solution failed: {tree.buggy_nodes()[0].info}")
    wall = min(walls)
    ideal = math.ceil(tasks / workers) * domain.seconds
    return {
        "solutions_per_min": round(60 * tasks / wall, 1),
        "wall_s": round(wall, 3),
        "ideal_s": round(ideal, 3),
        "overhead_ms_per_solution": round(1000 * (wall - ideal) / tasks, 2),
    }


def _warm(seconds: float) -> None:
    """Keep a worker busy for ``seconds`` with the episode code imported (as locally)."""
    from embodied.episode import build_env  # noqa: F401

    time.sleep(seconds)


def _episode(seed: int) -> float:
    return EpisodeTask(ENV, AGENT)((seed, False)).episode_return


def episode_throughput(kind: str, workers: int, episodes: int) -> dict[str, float]:
    """Episodes per second of ``episodes`` random-agent episodes on ``kind`` with ``workers``
    (workers are started before the clock starts)."""
    seeds = list(range(episodes))
    if kind == "local_sequential":
        start = time.perf_counter()
        returns = [_episode(s) for s in seeds]
    elif kind == "local_processes":
        with ProcessPoolExecutor(workers) as pool:
            list(pool.map(_warm, [0.5] * workers * 2))
            start = time.perf_counter()
            returns = list(pool.map(_episode, seeds))
    else:
        ray_map(_warm, [0.5] * workers * 2, task_options(RaySettings()), workers)
        start = time.perf_counter()
        results = episodes_on_ray(ENV, AGENT, seeds, [False] * episodes, workers=workers)
        returns = [r.episode_return for r in results]
    wall = time.perf_counter() - start
    assert len(returns) == episodes
    return {"episodes_per_s": round(episodes / wall, 2), "wall_s": round(wall, 3)}


def _noop(x: int) -> int:
    return x


def ray_round_trips(count: int) -> dict[str, float]:
    """Ray's cost per task: one at a time (latency) and all at once (driver throughput)."""
    options = task_options(RaySettings(num_cpus=1))
    ray_map(_noop, list(range(count)), options)  # warm workers
    start = time.perf_counter()
    for i in range(count // 10):
        ray_map(_noop, [i], options)
    latency = (time.perf_counter() - start) / (count // 10)
    start = time.perf_counter()
    ray_map(_noop, list(range(count)), options)
    batch = (time.perf_counter() - start) / count
    return {"latency_ms": round(1000 * latency, 3), "batched_ms_per_task": round(1000 * batch, 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=0.2, help="time of one solution")
    parser.add_argument("--workers", default="1,2,4,8")
    parser.add_argument("--tasks-per-worker", type=int, default=6)
    parser.add_argument("--repeats", type=int, default=2, help="searches per point; best kept")
    parser.add_argument("--episodes-per-worker", type=int, default=4)
    parser.add_argument("--ray-cpus", type=int, default=8, help="logical CPUs of the local Ray")
    args = parser.parse_args()
    torch.set_num_threads(1)
    counts = [int(w) for w in args.workers.split(",")]
    start = time.perf_counter()
    ensure_ray(RaySettings(local_cpus=args.ray_cpus))
    ray_start_s = time.perf_counter() - start
    ray_exec: Callable[[int], Executor] = lambda n: RayExecutor(n, RaySettings(num_cpus=1))  # noqa: E731
    peers: dict[str, dict[str, Callable[[int], Executor]]] = {
        "sleep": {"local_threads": ThreadExecutor, "ray": ray_exec},
        "compute": {"local_processes": ProcessExecutor, "ray": ray_exec},
    }
    solutions: dict[str, Any] = {}
    for kind, executors in peers.items():
        domain = SyntheticSolutions(args.seconds, compute=kind == "compute")
        solutions[kind] = {
            name: {
                str(n): search_throughput(make, domain, n, n * args.tasks_per_worker, args.repeats)
                for n in counts
            }
            for name, make in executors.items()
        }
    episodes: dict[str, Any] = {
        "local_sequential": episode_throughput("local_sequential", 1, args.episodes_per_worker)
    }
    for kind in ("local_processes", "ray"):
        episodes[kind] = {
            str(n): episode_throughput(kind, n, n * args.episodes_per_worker) for n in counts
        }
    report = {
        "benchmark": "scaleout_throughput",
        "machine": machine_info(torch.device("cpu")),
        "ray_logical_cpus": args.ray_cpus,
        "ray_start_s": round(ray_start_s, 2),
        "solution_seconds": args.seconds,
        "repeats": args.repeats,
        "solutions": solutions,
        "episodes": {"env": ENV["id"], "steps": ENV["max_episode_steps"], **episodes},
        "ray_round_trip": ray_round_trips(500),
    }
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
