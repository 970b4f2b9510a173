"""Environment speed: ours vs Gymnasium's MuJoCo v5 env on the same model, beside the limit.

Single env, state observations: ``embodied.make("inverted-pendulum")`` vs
``gymnasium.make("InvertedPendulum-v5")`` — the same MJCF file and frame skip, the same
pre-drawn actions, resets on termination included. The physical limit is raw ``mj_step`` calls
(``frame_skip`` per env step) on one thread, times the cores used.

Batched state-only collection, 64 envs: ``embodied.data.collect_state_episodes`` (MuJoCo's
native rollout on all cores) vs ``gymnasium.vector.SyncVectorEnv`` of 64 Gymnasium envs, both
simulating 64 × ``--batch-steps`` env steps.

Rendering: 64×64 RGB frames per second from MuJoCo's offscreen renderer, alone and inside a
full sensor step (the arm-reach scene observing proprio + RGB).
Prints one JSON object.
"""

from __future__ import annotations

import os

os.environ.setdefault("MUJOCO_GL", "egl")  # before mujoco is imported (through gymnasium too)

import argparse
import json
import time

import gymnasium as gym
import mujoco
import numpy as np
import torch
from machine import machine_info

import embodied
from embodied.data import collect_state_episodes

GYM_ID, OUR_ID, FRAME_SKIP = "InvertedPendulum-v5", "inverted-pendulum", 2


def single_env_seconds(env: gym.Env, actions: np.ndarray) -> float:
    """Seconds to play ``actions``, resetting whenever an episode ends."""
    env.reset(seed=0)
    start = time.perf_counter()
    for action in actions:
        _, _, terminated, truncated, _ = env.step(action)
        if terminated or truncated:
            env.reset()
    return time.perf_counter() - start


def interleaved_rates(envs: dict[str, gym.Env], actions: np.ndarray, rounds: int) -> dict:
    """Steps/s of each env, timed in alternating rounds so that load changes hit all alike."""
    seconds: dict[str, list[float]] = {name: [] for name in envs}
    for chunk in np.array_split(actions, rounds):
        for name, env in envs.items():
            seconds[name].append(single_env_seconds(env, chunk))
    return {name: len(actions) / sum(s) for name, s in seconds.items()}


def raw_step_rate(model: mujoco.MjModel, steps: int) -> float:
    """Env steps per second of bare ``mj_step`` calls (``FRAME_SKIP`` per env step)."""
    data = mujoco.MjData(model)
    start = time.perf_counter()
    for _ in range(steps):
        mujoco.mj_step(model, data, nstep=FRAME_SKIP)
    return steps / (time.perf_counter() - start)


def vector_env_rate(num_envs: int, steps: int, rng: np.random.Generator) -> float:
    envs = gym.vector.SyncVectorEnv([lambda: gym.make(GYM_ID) for _ in range(num_envs)])
    actions = rng.uniform(-3, 3, (steps, num_envs, 1)).astype(np.float32)
    envs.reset(seed=0)
    start = time.perf_counter()
    for action in actions:
        envs.step(action)
    rate = num_envs * steps / (time.perf_counter() - start)
    envs.close()
    return rate


def rollout_rate(num_envs: int, steps: int, nthread: int) -> float:
    env = embodied.make(OUR_ID)
    start = time.perf_counter()
    for _ in collect_state_episodes(env, num_envs, steps, nthread=nthread, batch_size=num_envs):
        pass
    return num_envs * steps / (time.perf_counter() - start)


def sensor_step_rate(steps: int, size: int) -> float:
    """Env steps/s of the arm-reach scene observing proprio + ``size``² RGB every step."""
    env = embodied.make("reach", modalities=("proprio", "rgb"), image_width=size, image_height=size)
    env.reset(seed=0)
    start = time.perf_counter()
    for _ in range(steps):
        _, _, terminated, truncated, _ = env.step(env.action_space.sample())
        if terminated or truncated:
            env.reset()
    rate = steps / (time.perf_counter() - start)
    env.close()
    return rate


def render_rate(frames: int, size: int) -> float:
    env = embodied.make(OUR_ID, render_mode="rgb_array", width=size, height=size)
    env.reset(seed=0)
    env.render()
    start = time.perf_counter()
    for _ in range(frames):
        env.render()
    rate = frames / (time.perf_counter() - start)
    env.close()
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=50_000, help="single-env steps")
    parser.add_argument("--num-envs", type=int, default=64)
    parser.add_argument("--batch-steps", type=int, default=1000)
    parser.add_argument("--frames", type=int, default=2000)
    args = parser.parse_args()
    cores = os.cpu_count() or 1
    rng = np.random.default_rng(0)
    actions = rng.uniform(-3.0, 3.0, (args.steps, 1)).astype(np.float32)  # the full action box

    gym_env = gym.make(GYM_ID)
    ours = embodied.make(OUR_ID)
    limit_one = raw_step_rate(ours.model, args.steps)
    single = interleaved_rates({"gymnasium_make": gym_env, "ours_make": ours}, actions, rounds=10)
    single["raw_mj_step_1_thread"] = limit_one
    single["speedup_vs_gymnasium"] = single["ours_make"] / single["gymnasium_make"]
    single["fraction_of_limit"] = single["ours_make"] / limit_one

    batched = {
        "gymnasium_sync_vector_env": vector_env_rate(args.num_envs, args.batch_steps // 4, rng),
        "ours_native_rollout": rollout_rate(args.num_envs, args.batch_steps, nthread=cores),
        "limit_all_cores": limit_one * cores,
    }
    batched["fraction_of_limit"] = batched["ours_native_rollout"] / batched["limit_all_cores"]
    batched["speedup_vs_sync_vector_env"] = (
        batched["ours_native_rollout"] / batched["gymnasium_sync_vector_env"]
    )
    report = {
        "benchmark": "env_speed",
        "machine": machine_info(torch.device("cpu")),
        "model": f"Gymnasium's inverted_pendulum.xml, frame skip {FRAME_SKIP}",
        "single_env_steps_per_s": {k: round(v, 3) for k, v in single.items()},
        "batched_64_envs_steps_per_s": {k: round(v, 3) for k, v in batched.items()},
        "render_64x64_rgb_fps": round(render_rate(args.frames, 64), 1),
        "reach_step_with_64x64_rgb_per_s": round(sensor_step_rate(args.frames // 4, 64), 1),
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
