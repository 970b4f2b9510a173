"""wm_mpc on DeepMind Control Suite tasks against TD-MPC2's published per-seed returns.

Claim (issue 35 §2): online wm_mpc at 100k *environment* steps reaches a mean return at or
above TD-MPC2's published mean on cartpole-swingup, reacher-easy and cup-catch (3 seeds).
Steps are counted as TD-MPC2 counts them: env steps = agent steps × action repeat (2), so
100k env steps are 50k agent steps, 100 episodes of 500 agent steps.

    python benchmarks/dmc_wm_mpc.py --task cartpole-swingup --env-steps 100000 --seeds 1 2 3

Each seed learns online (TD-MPC2's schedule: random seed steps, then one update per step; the
learner in its own process unless ``--no-update-process``), then is evaluated without learning
or exploration noise on ``--eval-episodes`` episodes; ``--eval-every N`` adds a learning-curve
point (``--curve-episodes`` episodes) every N env steps.
Writes JSON (per-seed returns, published numbers beside them, wall time) to ``--out``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from machine import machine_info

from embodied import make
from embodied.agents.world_model_mpc import WorldModelMPCAgent, WorldModelMPCConfig
from embodied.pixels import with_pixels
from embodied.runner import run_episode
from planning import MPPIConfig
from worldmodels.config import TrainerConfig, WorldModelConfig

#: TD-MPC2's evaluation return at step 100,000 (env steps) per seed, from the CSV files under
#: ``results/`` of github.com/nicklashansen/tdmpc2 (TD-MPC2: ``results/cartpole-swingup.csv``
#: at commit b67b21c, ``results/tdmpc2/reacher-easy.csv`` and ``results/tdmpc2/cup-catch.csv``
#: at add30b5; DreamerV3 as TD-MPC2 reports it: ``results/dreamerv3/cartpole-swingup.csv``).
PUBLISHED_100K: dict[str, dict[str, dict[int, float]]] = {
    "tdmpc2": {
        "cartpole-swingup": {1: 860.5, 2: 789.8, 3: 867.9},
        "reacher-easy": {1: 977.9, 2: 972.8, 3: 859.9},
        "cup-catch": {1: 986.7, 2: 983.7, 3: 973.3},
    },
    "dreamerv3": {
        "cartpole-swingup": {1: 637.2, 2: 718.6, 3: 674.4},
    },
}


def published(method: str, task: str) -> dict[str, Any] | None:
    """Per-seed returns and their mean for ``method`` on ``task`` at 100k env steps."""
    per_seed = PUBLISHED_100K.get(method, {}).get(task)
    if per_seed is None:
        return None
    return {"per_seed": per_seed, "mean": float(np.mean(list(per_seed.values())))}


def run_seed(
    args: argparse.Namespace, seed: int, on_progress: Callable[[dict[str, Any]], None]
) -> dict[str, Any]:
    """Learn online for ``args.env_steps`` env steps (evaluating every ``args.eval_every``, each
    curve point handed to ``on_progress``), then evaluate; return the numbers."""
    env = make(
        f"dmc/{args.task}",
        action_repeat=args.action_repeat,
        max_episode_steps=args.episode_steps,
    )
    if args.pixels:
        env = with_pixels(env, frames=3, size=args.pixels)
    cfg = WorldModelMPCConfig(
        worldmodel=WorldModelConfig(modalities=list(env.observation_space.spaces),
                                    latent_dim=args.latent_dim, hidden_dim=args.hidden_dim,
                                    encoder_dim=args.latent_dim, cnn_channels=8, decoder=False),
        trainer=TrainerConfig(batch_size=args.batch_size),
        planner=MPPIConfig(num_samples=args.num_samples, iterations=args.iterations),
        seed_steps=min(args.seed_steps, args.env_steps // args.action_repeat),
        seed=seed,
        env_id=f"dmc/{args.task}",
        compile=args.compile or None,
        cpu_threads=args.cpu_threads,
        update_process=args.update_process,
    )  # fmt: skip
    agent = WorldModelMPCAgent(env, cfg)
    progress: dict[str, Any] = {"seed": seed, "train_returns": [], "curve": []}
    start, agent_steps, episode, eval_seconds = time.perf_counter(), 0, 0, 0.0
    budget = args.env_steps // args.action_repeat
    next_eval = args.eval_every // args.action_repeat if args.eval_every else budget + 1
    try:
        while agent_steps < budget:
            result = run_episode(env, agent, seed=seed * 100_000 + episode)
            agent_steps += result.length
            episode += 1
            progress["train_returns"].append(round(result.episode_return, 1))
            log(f"seed {seed}: {agent_steps * args.action_repeat} env steps, train return "
                f"{result.episode_return:.1f} ({time.perf_counter() - start:.0f} s)")  # fmt: skip
            if agent_steps >= next_eval and agent_steps < budget:
                tic = time.perf_counter()
                returns = evaluate(env, agent, seed, args.curve_episodes)
                eval_seconds += time.perf_counter() - tic
                point = [agent_steps * args.action_repeat, float(np.mean(returns))]
                progress["curve"].append(point)
                log(f"seed {seed}: {point[0]} env steps, eval return {point[1]:.1f}")
                next_eval += args.eval_every // args.action_repeat
                on_progress(progress)
        train_seconds = time.perf_counter() - start - eval_seconds
        returns = evaluate(env, agent, seed, args.eval_episodes)
    finally:
        agent.close()
        env.close()
    progress["curve"].append([agent_steps * args.action_repeat, float(np.mean(returns))])
    return progress | {
        "env_steps": agent_steps * args.action_repeat,
        "agent_steps": agent_steps,
        "eval_return": float(np.mean(returns)),
        "eval_returns": returns,
        "train_seconds": train_seconds,
        "seconds_per_env_step": train_seconds / max(agent_steps * args.action_repeat, 1),
    }


def evaluate(env: Any, agent: WorldModelMPCAgent, seed: int, episodes: int) -> list[float]:
    """The returns of ``episodes`` episodes without learning or exploration noise, on
    seeds no training episode uses; learning resumes afterwards."""
    agent.learn = False
    try:
        return [
            run_episode(env, agent, seed=10**7 + seed * 100 + i).episode_return
            for i in range(episodes)
        ]
    finally:
        agent.learn = True


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--task", default="cartpole-swingup")
    parser.add_argument("--env-steps", type=int, default=100_000)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--action-repeat", type=int, default=2)
    parser.add_argument(
        "--episode-steps",
        type=int,
        default=None,
        help="agent steps per episode (default: the suite's, 500 at repeat 2)",
    )
    parser.add_argument("--pixels", type=int, default=None, help="e.g. 64: learn from 64×64 rgb")
    parser.add_argument("--eval-episodes", type=int, default=3)
    parser.add_argument(
        "--eval-every",
        type=int,
        default=0,
        help="env steps between learning-curve evaluations (0: only at the end)",
    )
    parser.add_argument(
        "--curve-episodes", type=int, default=1, help="episodes per learning-curve evaluation"
    )
    parser.add_argument(
        "--update-process",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="learn in a second process while the actor plans (CPU)",
    )
    parser.add_argument("--cpu-threads", type=int, default=1, help="torch threads per process")
    parser.add_argument(
        "--seed-steps",
        type=int,
        default=2500,
        help="random agent steps first (TD-MPC2: max(1000, 5 episodes))",
    )
    parser.add_argument("--latent-dim", type=int, default=64)
    parser.add_argument("--hidden-dim", type=int, default=128)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--num-samples", type=int, default=512)
    parser.add_argument("--iterations", type=int, default=6)
    parser.add_argument("--compile", action="store_true")
    parser.add_argument("--out", default="dmc_wm_mpc.json")
    args = parser.parse_args()
    seeds: list[dict[str, Any]] = []
    for seed in args.seeds:
        seeds.append(run_seed(args, seed, lambda p: write(args, report(args, [*seeds, p]))))
        write(args, report(args, seeds))
    final = report(args, seeds)
    print(json.dumps({k: final[k] for k in ("task", "mean_return", "goal_met")}))


def report(args: argparse.Namespace, seeds: list[dict[str, Any]]) -> dict[str, Any]:
    """The JSON report of the seeds run so far (a seed still learning has no ``eval_return``)."""
    done = [s["eval_return"] for s in seeds if "eval_return" in s]
    ours = float(np.mean(done)) if done else None
    tdmpc2 = published("tdmpc2", args.task)
    return {
        "claim": "wm_mpc mean return at 100k env steps >= TD-MPC2's published mean",
        "task": args.task,
        "observations": f"rgb {args.pixels}x{args.pixels}" if args.pixels else "state",
        "args": vars(args),
        "machine": machine_info(torch.device("cuda" if torch.cuda.is_available() else "cpu")),
        "seeds": seeds,
        "mean_return": ours,
        "published_100k": {m: published(m, args.task) for m in PUBLISHED_100K},
        "goal_met": None
        if tdmpc2 is None or ours is None or args.env_steps != 100_000 or len(done) < 3
        else bool(ours >= tdmpc2["mean"]),
    }


def write(args: argparse.Namespace, data: dict[str, Any]) -> None:
    """Write ``data`` to ``args.out`` (replacing it whole, so a reader never sees half)."""
    tmp = f"{args.out}.tmp"
    with open(tmp, "w") as f:
        json.dump(data, f, indent=2)
    os.replace(tmp, args.out)


if __name__ == "__main__":
    main()
