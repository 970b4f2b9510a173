"""Household pick-and-place: the scripted expert's success rate over seeded episodes (goal:
>= 95% in each backend).

Each episode: the mobile manipulator picks the named object up with its gripper (the grasp
constraint forms only when both closed jaws touch the object), carries it to the named place
and lets go; success when the object rests within 15 cm of the place. Reports per backend the
success rate, steps per episode (mean, max over the successes) and the wall time per step.
Prints one JSON object.
Usage: python benchmarks/pick_and_place.py [--episodes 50] [--backends mujoco pybullet]
"""

from __future__ import annotations

import argparse
import json
import os
import time

import torch
from machine import machine_info

from embodied.agents.scripted import ScriptedAgent
from embodied.envs.scene_env import SceneEnv


def run_backend(backend: str, episodes: int) -> dict:
    """The expert's episodes on ``backend`` with seeds 0..episodes-1."""
    env = SceneEnv("household", backend=backend)
    agent = ScriptedAgent(env)
    successes, steps, total_steps, failures = 0, [], 0, []
    start = time.perf_counter()
    for seed in range(episodes):
        observation, _ = env.reset(seed=seed)
        step, done = 0, False
        while not done:
            observation, _, terminated, truncated, info = env.step(agent.act(observation))
            step, done = step + 1, terminated or truncated
        total_steps += step
        if info["is_success"]:
            successes += 1
            steps.append(step)
        else:
            failures.append({"seed": seed, "object": info["target"], "place": info["place"]})
    seconds = time.perf_counter() - start
    env.close()
    return {
        "episodes": episodes,
        "success_rate": successes / episodes,
        "steps_mean": sum(steps) / max(len(steps), 1),
        "steps_max": max(steps, default=0),
        "ms_per_step": 1000.0 * seconds / total_steps,
        "failures": failures,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=50)
    parser.add_argument("--backends", nargs="+", default=["mujoco", "pybullet"])
    args = parser.parse_args()
    results = {backend: run_backend(backend, args.episodes) for backend in args.backends}
    goal_met = all(r["success_rate"] >= 0.95 for r in results.values())
    machine = {**machine_info(torch.device("cpu")), "load_average": os.getloadavg()}
    print(json.dumps({"machine": machine, "results": results, "goal": ">= 0.95",
                      "goal_met": goal_met}, indent=1))  # fmt: skip


if __name__ == "__main__":
    main()
