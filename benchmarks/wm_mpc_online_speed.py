"""Online ``wm_mpc`` speed on cart-pole balance: env steps per second of this tree's code against
a baseline commit's, side by side in one run.

The baseline is the code at ``--baseline`` (a git revision; default: main before the speed work)
checked out with ``git worktree add --detach`` into a temporary folder. Each variant runs this
script's ``--child`` mode in a subprocess whose PYTHONPATH points at its code (the measuring code
is the same for all). The variants alternate for ``--rounds`` rounds and the median is reported,
so load changes on a shared machine hit all of them alike. Variants:

- ``baseline``: the old code as a user ran it (torch's default thread count, 2 on 2 cores);
- ``baseline_1thread``: the old code on one torch thread;
- ``current_serial_1thread``: this tree's code, update and planning in turn, one torch thread;
- ``current_overlap_1thread``: this tree's code with ``agent.overlap_update``: each step's
  update runs in a background thread while the planner plans the next action, one torch
  thread each (two threads in all, as ``baseline``);
- ``current_process_1thread``: this tree's code with ``agent.update_process``: the same overlap
  with the learner in its own process (no shared GIL), one torch thread each;
- ``current_overlap_compiled_1thread`` (with ``--compiled``): the same with ``agent.compile``;
  its compilation is timed apart (``warmup_s``) and left out of the steps per second.

Measured: the agent of configs/agent/wm_mpc.yaml (latent/hidden/encoder 64, no decoder; MPPI
with 512 samples, 6 iterations, horizon 3, 24 policy samples; batch 256, one update per env
step) after ``--seed-steps`` random steps and as many pre-training updates (not timed), for
``--steps`` env steps of collect → update → plan. Prints one JSON object.

With ``--learn-steps N`` it instead measures the learning: the old code (serial) and this
tree's code overlapped (thread) and with the learner process each learn for N env steps on
seeds 0 and 1, then act greedily for one episode of ``--eval-steps`` steps (seed 100); it
prints the returns, so that speed is not bought with learning.

    python benchmarks/wm_mpc_online_speed.py [--steps 60] [--rounds 2] [--compiled]
    python benchmarks/wm_mpc_online_speed.py --learn-steps 1000 [--seed-steps 200]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASELINE = "3898e08"  # main before the speedup (branch wm-speed)
ENV = "cartpole-balance"
WORLDMODEL = {"latent_dim": 64, "hidden_dim": 64, "encoder_dim": 64, "decoder": False}


def build(seed_steps: int, threads: int, options: dict, seed: int = 0):
    """The env and the agent that the importable code builds (``options``: more of its
    settings, only those that code knows)."""
    import torch

    import embodied
    from embodied.agents.world_model_mpc import WorldModelMPCAgent

    if threads > 0:
        torch.set_num_threads(threads)
    env = embodied.make(ENV)
    agent = WorldModelMPCAgent(
        env,
        worldmodel=WORLDMODEL,
        seed_steps=seed_steps,
        device="cpu",
        save_to=None,
        seed=seed,
        **options,
    )
    return env, agent


def child(steps: int, seed_steps: int, threads: int, options: dict) -> dict:
    """Time ``steps`` online env steps of the agent that the importable code builds."""
    import torch

    warmup_start = time.perf_counter()
    env, agent = build(seed_steps, threads, options)
    obs, _ = env.reset(seed=0)
    agent.reset()
    act_s = observe_s = 0.0

    def step() -> None:
        nonlocal obs, act_s, observe_s
        t0 = time.perf_counter()
        action = agent.act(obs)
        t1 = time.perf_counter()
        obs, reward, terminated, truncated, _ = env.step(action)
        t2 = time.perf_counter()
        agent.observe(obs, action, float(reward), terminated)
        act_s += t1 - t0
        observe_s += time.perf_counter() - t2
        if terminated or truncated:
            obs, _ = env.reset()
            agent.reset()

    for _ in range(seed_steps + 3):  # random steps, pre-training, three planned steps
        step()
    warmup_s = time.perf_counter() - warmup_start
    act_s = observe_s = 0.0
    start = time.perf_counter()
    for _ in range(steps):
        step()
    elapsed = time.perf_counter() - start
    agent.close()  # waits for the update in flight
    return {
        "steps_per_s": steps / elapsed,
        "act_ms": 1000 * act_s / steps,
        "update_ms": 1000 * observe_s / steps,  # with overlap: starting it (and the wait)
        "warmup_s": warmup_s,
        "torch_threads": torch.get_num_threads(),
    }


def learn_child(steps: int, seed_steps: int, seed: int, eval_steps: int, options: dict) -> dict:
    """Learn online for ``steps`` env steps, then the greedy return of one episode of
    ``eval_steps`` steps."""
    import embodied
    from embodied.runner import run_episode

    env, agent = build(seed_steps, 1, options, seed)
    start, episode = time.perf_counter(), 0
    while agent.total_steps < steps:
        obs, _ = env.reset(seed=seed * 1000 + episode)
        agent.reset()
        episode += 1
        for _ in range(steps - agent.total_steps):
            action = agent.act(obs)
            obs, reward, terminated, truncated, _ = env.step(action)
            agent.observe(obs, action, float(reward), terminated)
            if terminated or truncated:
                break
    learn_s = time.perf_counter() - start
    agent.learn = False  # greedy: no exploration noise, no updates
    result = run_episode(embodied.make(ENV, max_episode_steps=eval_steps), agent, seed=100)
    agent.close()
    return {"return": result.episode_return, "length": result.length, "learn_s": learn_s}


def run_child(code: Path, args: list[str], options: dict) -> dict:
    env = {**os.environ, "PYTHONPATH": str(code), "MUJOCO_GL": "egl"}
    cmd = [sys.executable, __file__, "--child", *args, f"--options={json.dumps(options)}"]
    out = subprocess.run(cmd, env=env, cwd=code, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"variant at {code} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def speed(args: argparse.Namespace, snapshot: Path) -> dict:
    """Steps per second of every variant, alternating, medians over the rounds."""
    common = [f"--steps={args.steps}", f"--seed-steps={args.seed_steps}"]
    variants = {  # name: (code, torch threads, agent options)
        "baseline": (snapshot, 0, {}),
        "baseline_1thread": (snapshot, 1, {}),
        "current_serial_1thread": (ROOT, 1, {"overlap_update": False}),
        "current_overlap_1thread": (ROOT, 1, {"overlap_update": True}),
        "current_process_1thread": (ROOT, 1, {"update_process": True}),
    }
    if args.compiled:
        variants["current_overlap_compiled_1thread"] = (
            ROOT,
            1,
            {"overlap_update": True, "compile": True},
        )
    runs: dict[str, list[dict]] = {name: [] for name in variants}
    for _ in range(args.rounds):
        for name, (code, threads, options) in variants.items():
            runs[name].append(run_child(code, [*common, f"--threads={threads}"], options))
    keys = ("steps_per_s", "act_ms", "update_ms", "warmup_s", "torch_threads")
    results = {
        name: {key: round(statistics.median(r[key] for r in rs), 2) for key in keys}
        for name, rs in runs.items()
    }
    base = results["baseline"]["steps_per_s"]
    for r in results.values():
        r["speedup_vs_baseline"] = round(r["steps_per_s"] / base, 2)
    base_1 = results["baseline_1thread"]["steps_per_s"]
    return {
        "results": results,
        # the goal's comparison: two threads in all against the old code's two threads
        "speedup_overlap_vs_baseline": results["current_overlap_1thread"]["speedup_vs_baseline"],
        "speedup_process_vs_baseline": results["current_process_1thread"]["speedup_vs_baseline"],
        "speedup_serial_1thread_vs_baseline_1thread": round(
            results["current_serial_1thread"]["steps_per_s"] / base_1, 2
        ),
    }


def learning(args: argparse.Namespace, snapshot: Path) -> dict:
    """Greedy returns after ``--learn-steps`` env steps: the old code against this tree's,
    overlapped in a thread and with the learner process."""
    variants = {  # name: (code, agent options)
        "baseline_serial": (snapshot, {}),
        "current_overlap": (ROOT, {"overlap_update": True}),
        "current_process": (ROOT, {"update_process": True}),
    }
    out: dict[str, dict] = {name: {} for name in variants}
    for seed in (0, 1):
        for name, (code, options) in variants.items():
            cmd = [f"--learn-steps={args.learn_steps}", f"--seed-steps={args.seed_steps}"]
            cmd += [f"--eval-steps={args.eval_steps}", f"--seed={seed}"]
            out[name][f"seed_{seed}"] = run_child(code, cmd, options)
    for runs in out.values():
        runs["mean_return"] = round(statistics.mean(r["return"] for r in runs.values()), 1)
    steps = {"learn_steps": args.learn_steps, "seed_steps": args.seed_steps}
    return {**steps, "eval_steps": args.eval_steps, "returns": out}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--seed-steps", type=int, default=None, help="default 50; 200 learning")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--compiled", action="store_true", help="add the compiled variant")
    parser.add_argument("--learn-steps", type=int, default=0, help="measure returns instead")
    parser.add_argument("--eval-steps", type=int, default=500, help="of the greedy episode")
    parser.add_argument("--baseline", default=BASELINE, help="git revision of the old code")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--threads", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--seed", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--options", default="{}", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.seed_steps is None:
        args.seed_steps = 200 if args.learn_steps else 50
    if args.child:
        options = json.loads(args.options)
        if args.learn_steps:
            result = learn_child(
                args.learn_steps, args.seed_steps, args.seed, args.eval_steps, options
            )
        else:
            result = child(args.steps, args.seed_steps, args.threads, options)
        print(json.dumps(result))
        return
    import torch
    from machine import machine_info

    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        snapshot = Path(tmp) / "baseline"
        git = ["git", "-C", str(ROOT)]
        subprocess.run(
            [*git, "worktree", "add", "--detach", str(snapshot), args.baseline],
            check=True,
            capture_output=True,
        )
        try:
            measured = learning(args, snapshot) if args.learn_steps else speed(args, snapshot)
        finally:
            subprocess.run([*git, "worktree", "remove", "--force", str(snapshot)], check=False)
    print(
        json.dumps(
            {
                "benchmark": "wm_mpc_online_speed",
                "baseline_revision": args.baseline,
                "steps": args.steps,
                "rounds": args.rounds,
                **measured,
                "machine": machine_info(torch.device("cpu")),
                "load_average_before_after": [load_before, os.getloadavg()],
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
