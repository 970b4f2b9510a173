"""Watch-And-Help style benchmark of the mental user model and the helper robot.

In the same episodes (same seeds: same task, same layout) it runs the user alone ("none") and
with five helpers: "random_goal" (sure of a random task), "oracle" (knows the task), "infer"
(the mental user model, greedy expected utility, asking when a question is worth it),
"infer_no_ask" (inference only) and "mcts" (the same model, deciding by belief-space MCTS of
the planning core: ``agent=mcts_helper``). Reports goal-inference accuracy against the
fraction of the user's actions observed (from the episodes without a helper), success rates,
speedup = steps alone / steps helped, decision time per step (every act(), mean and p95; for
"mcts" also per decision, when the robot is idle, and simulations per decision), and plots the
goal posterior over time for sample episodes.
The gain ratio (speedup − 1) / (oracle's − 1) comes with its standard error (a bootstrap over
the seeds, each resampled seed keeping all helpers' episodes), and ``--per-seed PATH`` writes
every episode's steps (JSON lines), so runs over disjoint seed ranges can be pooled.
Usage: python benchmarks/user_model_helping.py [--episodes N] [--first-seed S] [--only HELPER ...]
       [--plot PATH] [--per-seed PATH]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import torch
from machine import machine_info

from embodied.agents.helper import HelperAgent
from embodied.agents.mcts_helper import MCTSHelperAgent
from embodied.envs.help_household import HelpHouseholdEnv
from embodied.runner import run_episode
from worldmodels.user_model.household import TASK_NAMES

HELPERS = {
    "none": {"mode": "none"},
    "random_goal": {"mode": "random_goal"},
    "oracle": {"mode": "oracle"},
    "infer": {"mode": "infer"},
    "infer_no_ask": {"mode": "infer", "ask": False},
    "mcts": {"mode": "infer", "planner": "mcts"},
}
FRACTIONS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)


def accuracy_by_fraction(histories: list[tuple[list[np.ndarray], str]]) -> dict[str, float]:
    """P(argmax posterior = true task) after ceil(f · n) of the n observed user actions."""
    out = {}
    for f in FRACTIONS:
        hits = [
            TASK_NAMES[int(np.argmax(h[int(np.ceil(f * (len(h) - 1)))]))] == truth
            for h, truth in histories
            if len(h) > 2
        ]
        out[f"{f:.1f}"] = float(np.mean(hits))
    return out


def gain_ratio_se(lengths: dict[str, list[int]], draws: int = 2000, seed: int = 0
                  ) -> dict[str, float]:  # fmt: skip
    """Bootstrap standard error of each helper's (speedup − 1) / (oracle's − 1) over seeds."""
    alone = np.array(lengths["none"], dtype=float)
    oracle = alone / np.array(lengths["oracle"], dtype=float)
    rng = np.random.default_rng(seed)
    picks = rng.integers(len(alone), size=(draws, len(alone)))
    oracle_gain = oracle[picks].mean(axis=1) - 1.0
    out = {}
    for name, helped in lengths.items():
        ratio = alone / np.array(helped, dtype=float)
        out[name] = float(np.std((ratio[picks].mean(axis=1) - 1.0) / oracle_gain))
    return out


def plot_posteriors(path: Path, samples: list[tuple[list[np.ndarray], str]]) -> Path:
    fig, axes = plt.subplots(1, len(samples), figsize=(4.5 * len(samples), 3.2), squeeze=False)
    for ax, (history, truth) in zip(axes[0], samples, strict=True):
        posterior = np.array(history)
        for k, name in enumerate(TASK_NAMES):
            ax.plot(posterior[:, k], lw=3 if name == truth else 1,
                    label=name + (" (true)" if name == truth else ""))  # fmt: skip
        ax.set_title(f"true task: {truth}", fontsize="small")
        ax.set_xlabel("user actions observed")
        ax.set_ylim(0, 1)
    axes[0, 0].set_ylabel("P(task)")
    axes[0, -1].legend(fontsize="x-small", loc="center right")
    fig.suptitle("goal posterior of the mental user model while watching the user alone")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=80)
    plt.close(fig)
    return path


class timed:
    """``agent`` with the wall time of each act() appended to ``times``."""

    def __init__(self, agent: HelperAgent, times: list[float], decided: list[float]) -> None:
        self.agent, self.times, self.decided = agent, times, decided

    def reset(self, seed: int | None = None) -> None:
        self.agent.reset(seed)

    def act(self, observation: dict) -> np.ndarray:
        start = time.perf_counter()
        action = self.agent.act(observation)
        self.times.append(time.perf_counter() - start)
        explanation = getattr(self.agent, "explain", lambda: None)()
        if explanation and explanation.get("decided"):
            self.decided.append(self.times[-1])
        return action


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=40)
    parser.add_argument("--first-seed", type=int, default=1000)
    parser.add_argument("--per-seed", type=Path, default=None, help="JSON lines of every episode")
    parser.add_argument("--particles", type=int, default=512)
    parser.add_argument("--simulations", type=int, default=96, help="MCTS helper, per decision")
    parser.add_argument("--only", nargs="*", default=None, help="helpers besides none, oracle")
    parser.add_argument(
        "--plot", type=Path, default=Path("docs/benchmarks/user_model_posterior.png")
    )
    args = parser.parse_args()
    torch.set_num_threads(1)
    env = HelpHouseholdEnv()
    seeds = range(args.first_seed, args.first_seed + args.episodes)
    lengths: dict[str, list[int]] = {}
    success: dict[str, list[bool]] = {}
    histories: list[tuple[list[np.ndarray], str]] = []
    questions: dict[str, float] = {}
    seconds: dict[str, float] = {}
    step_ms: dict[str, dict[str, float]] = {}
    decision_ms: dict[str, dict[str, float]] = {}
    simulations: list[int] = []
    keep = {"none", "oracle", *(args.only or HELPERS)}  # the metric needs both baselines
    helpers = {n: o for n, o in HELPERS.items() if n in keep}
    for name, options in helpers.items():
        options = dict(options)
        if options.pop("planner", None) == "mcts":
            agent = MCTSHelperAgent(
                env, simulations=args.simulations, num_particles=args.particles, **options
            )
        else:
            agent = HelperAgent(env, num_particles=args.particles, **options)
        start = time.perf_counter()
        asked = 0
        times: list[float] = []
        decided: list[float] = []
        for seed in seeds:
            result = run_episode(env, timed(agent, times, decided), seed=seed)
            if isinstance(agent, MCTSHelperAgent):
                simulations += [d.simulations for d in agent.decisions]
            lengths.setdefault(name, []).append(result.length)
            success.setdefault(name, []).append(bool(result.success))
            asked += agent.questions
            if name == "none":
                histories.append((list(agent.model.history), env.task.name))
        seconds[name] = time.perf_counter() - start
        questions[name] = asked / args.episodes
        step_ms[name] = {"mean": 1e3 * float(np.mean(times)),
                         "p95": 1e3 * float(np.percentile(times, 95))}  # fmt: skip
        if decided:
            decision_ms[name] = {"mean": 1e3 * float(np.mean(decided)),
                                 "p95": 1e3 * float(np.percentile(decided, 95))}  # fmt: skip
    if args.per_seed is not None:
        args.per_seed.parent.mkdir(parents=True, exist_ok=True)
        with args.per_seed.open("w") as out:
            for i, seed in enumerate(seeds):
                row = {n: {"steps": v[i], "success": success[n][i]} for n, v in lengths.items()}
                out.write(json.dumps({"seed": seed, **row}) + "\n")
    alone = np.array(lengths["none"], dtype=float)
    speedup = {n: float(np.mean(alone / np.array(v))) for n, v in lengths.items()}
    plot_posteriors(args.plot, histories[:3])
    oracle_gain = speedup["oracle"] - 1.0
    print(json.dumps({
        "benchmark": "user_model_helping",
        "machine": machine_info(torch.device("cpu")),
        "episodes": args.episodes,
        "seeds": [seeds[0], seeds[-1]],
        "particles": args.particles,
        "goal_inference_accuracy_by_fraction_observed": accuracy_by_fraction(histories),
        "success_rate": {n: float(np.mean(v)) for n, v in success.items()},
        "mean_steps": {n: float(np.mean(v)) for n, v in lengths.items()},
        "speedup": speedup,
        "speedup_vs_oracle": {n: s / speedup["oracle"] for n, s in speedup.items()},
        "gain_vs_oracle_gain": {n: (s - 1.0) / oracle_gain for n, s in speedup.items()},
        "gain_vs_oracle_gain_se": gain_ratio_se(lengths),
        "questions_per_episode": questions,
        "decision_ms_per_step": step_ms,
        "mcts_ms_per_decision": decision_ms,
        "mcts_simulations_per_decision": float(np.mean(simulations)) if simulations else None,
        "seconds": seconds,
        "plot": str(args.plot),
    }, indent=1))  # fmt: skip


if __name__ == "__main__":
    main()
