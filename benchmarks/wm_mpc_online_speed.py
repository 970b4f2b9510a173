"""Online ``wm_mpc`` speed on cart-pole balance: env steps per second of this tree's code against
a baseline commit's, side by side in one run.

The baseline is the code at ``--baseline`` (a git revision; default: the commit before the
speedup) checked out with ``git worktree add --detach`` into a temporary folder. Each variant
runs this script's ``--child`` mode in a subprocess whose PYTHONPATH points at its code (the
measuring code is the same for both; the agent's constructor is unchanged between them). The
variants alternate for ``--rounds`` rounds and the median is reported, so load changes on a
shared machine hit all of them alike. Variants:

- ``baseline``: the old code as a user ran it (torch's default thread count);
- ``baseline_1thread``: the old code on one torch thread (separates the thread count's effect
  from the code's);
- ``current``: this tree's code with its defaults (torch's thread count);
- ``current_1thread``: this tree's code on one torch thread.

Measured: the agent of configs/agent/wm_mpc.yaml (latent/hidden/encoder 64, no decoder; MPPI
with 512 samples, 6 iterations, horizon 3, 24 policy samples; batch 256, one update per env
step) after ``--seed-steps`` random steps and as many pre-training updates (not timed), for
``--steps`` env steps of collect → update → plan. Prints one JSON object.

    python benchmarks/wm_mpc_online_speed.py [--steps 40] [--rounds 2] [--baseline REV]
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
WORLDMODEL = {"latent_dim": 64, "hidden_dim": 64, "encoder_dim": 64, "decoder": False}


def child(steps: int, seed_steps: int, threads: int) -> dict:
    """Time ``steps`` online env steps of the agent that the importable code builds."""
    import torch

    import embodied
    from embodied.agents.world_model_mpc import WorldModelMPCAgent

    if threads > 0:
        torch.set_num_threads(threads)
    env = embodied.make("cartpole-balance")
    agent = WorldModelMPCAgent(
        env, worldmodel=WORLDMODEL, seed_steps=seed_steps, device="cpu", save_to=None
    )
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

    for _ in range(seed_steps + 2):  # random steps, pre-training, two planned steps
        step()
    act_s = observe_s = 0.0
    start = time.perf_counter()
    for _ in range(steps):
        step()
    elapsed = time.perf_counter() - start
    return {
        "steps_per_s": steps / elapsed,
        "act_ms": 1000 * act_s / steps,
        "update_ms": 1000 * observe_s / steps,
        "torch_threads": torch.get_num_threads(),
    }


def run_variant(code: Path, steps: int, seed_steps: int, threads: int) -> dict:
    env = {**os.environ, "PYTHONPATH": str(code), "MUJOCO_GL": "egl"}
    cmd = [sys.executable, __file__, "--child", f"--steps={steps}"]
    cmd += [f"--seed-steps={seed_steps}", f"--threads={threads}"]
    out = subprocess.run(cmd, env=env, cwd=code, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"variant at {code} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--seed-steps", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--baseline", default=BASELINE, help="git revision of the old code")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--threads", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.steps, args.seed_steps, args.threads)))
        return
    import torch
    from machine import machine_info

    with tempfile.TemporaryDirectory() as tmp:
        snapshot = Path(tmp) / "baseline"
        git = ["git", "-C", str(ROOT)]
        subprocess.run(
            [*git, "worktree", "add", "--detach", str(snapshot), args.baseline],
            check=True,
            capture_output=True,
        )
        try:
            variants = {
                "baseline": (snapshot, 0),
                "baseline_1thread": (snapshot, 1),
                "current": (ROOT, 0),
                "current_1thread": (ROOT, 1),
            }
            runs: dict[str, list[dict]] = {name: [] for name in variants}
            for _ in range(args.rounds):
                for name, (code, threads) in variants.items():
                    runs[name].append(run_variant(code, args.steps, args.seed_steps, threads))
        finally:
            subprocess.run([*git, "worktree", "remove", "--force", str(snapshot)], check=False)
    results = {
        name: {
            key: round(statistics.median(r[key] for r in rs), 2)
            for key in ("steps_per_s", "act_ms", "update_ms", "torch_threads")
        }
        for name, rs in runs.items()
    }
    base = results["baseline"]["steps_per_s"]
    for r in results.values():
        r["speedup_vs_baseline"] = round(r["steps_per_s"] / base, 2)
    same_threads = {  # the code's own gain, thread count held equal
        "default": round(results["current"]["steps_per_s"] / base, 2),
        "one": round(
            results["current_1thread"]["steps_per_s"] / results["baseline_1thread"]["steps_per_s"],
            2,
        ),
    }
    print(
        json.dumps(
            {
                "benchmark": "wm_mpc_online_speed",
                "baseline_revision": args.baseline,
                "steps": args.steps,
                "rounds": args.rounds,
                "results": results,
                "speedup_same_threads": same_threads,
                "machine": machine_info(torch.device("cpu")),
                "load_average": os.getloadavg(),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
