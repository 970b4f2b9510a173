"""Sample efficiency: the world-model MPC agent against Stable-Baselines3's SAC.

Both learn online for the same number of env steps with the same seeds, then act without
exploration for ``--eval-episodes`` episodes on held-out seeds; a random agent gives the floor.
``--modalities rgb`` trains wm_mpc from 64×64 pixels only (SAC stays on state, as the reference);
``--pixels 64`` does so on the envs without an rgb modality (their camera's images), and
``--frame-stack 3`` stacks the last 3 frames so that a velocity can be seen.
``--eval-every N`` also evaluates (on a separate env) at the first point of training at or after
every N steps, for learning curves (wm_mpc between its episodes, SAC at once); ``--compile``
compiles wm_mpc's scoring and losses on the CPU too (minutes of compilation, then about half the
time per step). Prints one JSON object: per env, method and seed the mean evaluation return,
the learning curves, and the summary.
Usage: python benchmarks/sample_efficiency.py [--envs inverted-pendulum reach] [--steps 20000]
       [--seeds 0 1 2] [--methods wm_mpc sac random] [--modalities proprio goal]
       [--pixels 64] [--frame-stack 3] [--eval-every 2500] [--compile]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from functools import partial
from typing import Any, SupportsFloat

import gymnasium as gym
import numpy as np
import torch
from machine import machine_info

from embodied import make
from embodied.agents.random_agent import RandomAgent
from embodied.agents.world_model_mpc import WorldModelMPCAgent, WorldModelMPCConfig
from embodied.pixels import with_pixels
from embodied.runner import run_episode
from planning import MPPIConfig
from worldmodels.config import TrainerConfig, WorldModelConfig

EVAL_SEED = 10_000  # evaluation episodes use seeds no training episode used


def make_env(
    env_id: str, modalities: list[str], frames: int = 1, pixels: int | None = None
) -> gym.Env:
    """``env_id`` observing ``modalities`` (scene envs), or its own state (the others); with
    ``pixels``, only its camera's ``pixels``×``pixels`` images; the last ``frames`` images
    stacked."""
    try:
        env = make(env_id, modalities=modalities)
    except TypeError:
        env = make(env_id)
    return with_pixels(env, frames, pixels)


Curve = Callable[[int, Any], None]  # called with (env steps so far, agent) to evaluate


class StepBudget(gym.Wrapper):
    """Truncates the episode in which the run's ``steps``-th env step is taken."""

    def __init__(self, env: gym.Env, steps: int) -> None:
        super().__init__(env)
        self.left = steps

    def step(self, action: Any) -> tuple[Any, SupportsFloat, bool, bool, dict[str, Any]]:
        obs, reward, terminated, truncated, info = self.env.step(action)
        self.left -= 1
        return obs, reward, terminated, truncated or self.left <= 0, info


class SACPolicy:
    """A trained SAC model's deterministic action, as an agent."""

    def __init__(self, model: Any) -> None:
        self.model = model

    def reset(self, seed: int | None = None) -> None:
        pass

    def act(self, obs: Any) -> np.ndarray:
        return self.model.predict(obs, deterministic=True)[0]


def evaluate(env: gym.Env, agent: Any, episodes: int) -> float:
    """Mean return of ``agent`` (reset before each) over ``episodes`` on the evaluation seeds."""
    return float(
        np.mean(
            [run_episode(env, agent, seed=EVAL_SEED + i).episode_return for i in range(episodes)]
        )
    )


def train_wm_mpc(
    env: gym.Env, steps: int, seed: int, args: argparse.Namespace, curve: Curve
) -> Any:
    cfg = WorldModelMPCConfig(
        worldmodel=WorldModelConfig(modalities=list(env.observation_space.spaces), latent_dim=64,
                                    hidden_dim=128, encoder_dim=64, cnn_channels=8, decoder=False),
        trainer=TrainerConfig(batch_size=args.batch_size),
        planner=MPPIConfig(num_samples=args.num_samples, num_elites=args.num_elites,
                           iterations=args.iterations, num_policy_samples=args.num_policy_samples),
        seed_steps=args.seed_steps,
        device=args.device,
        seed=seed,
        compile=args.compile or None,
    )  # fmt: skip
    agent = WorldModelMPCAgent(env, cfg)
    budget = StepBudget(env, steps)
    episode = 0
    while budget.left > 0:
        run_episode(budget, agent, seed=seed * 1000 + episode)
        episode += 1
        if budget.left > 0:
            agent.learn = False  # act greedily (no exploration noise, no updates) when evaluated
            curve(steps - budget.left, agent)
            agent.learn = True
    agent.learn = False
    return agent


def train_sac(env: gym.Env, steps: int, seed: int, args: argparse.Namespace, curve: Curve) -> Any:
    from stable_baselines3 import SAC
    from stable_baselines3.common.callbacks import BaseCallback

    class Evaluate(BaseCallback):
        def _on_step(self) -> bool:
            if self.num_timesteps < steps:  # the final evaluation covers the last step
                curve(self.num_timesteps, SACPolicy(self.model))
            return True

    model = SAC("MultiInputPolicy", env, seed=seed, device=args.device, verbose=0)
    model.learn(total_timesteps=steps, callback=Evaluate())
    return SACPolicy(model)


def train_random(
    env: gym.Env, steps: int, seed: int, args: argparse.Namespace, curve: Curve
) -> Any:
    return RandomAgent(env)


class CurveRecorder:
    """A :data:`Curve` that appends ``[steps, mean return]`` to ``points`` at the first call at
    or after each multiple of ``every`` (never, when ``every`` is None), evaluating on an env of
    its own."""

    def __init__(self, make_env: Callable[[], gym.Env], every: int | None, episodes: int) -> None:
        self.make_env, self.every, self.episodes = make_env, every, episodes
        self.next = every
        self.env: gym.Env | None = None
        self.points: list[list[float]] = []

    def __call__(self, steps: int, agent: Any) -> None:
        if self.every is None or steps < self.next:
            return
        self.env = self.env or self.make_env()
        self.points.append([steps, evaluate(self.env, agent, self.episodes)])
        print(f"  {steps} steps: {self.points[-1][1]:.1f}", file=sys.stderr, flush=True)
        self.next = (steps // self.every + 1) * self.every

    def close(self) -> None:
        if self.env is not None:
            self.env.close()


TRAINERS = {"wm_mpc": train_wm_mpc, "sac": train_sac, "random": train_random}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--envs", nargs="+", default=["inverted-pendulum", "reach"])
    parser.add_argument("--methods", nargs="+", default=list(TRAINERS), choices=list(TRAINERS))
    parser.add_argument("--steps", type=int, default=20_000)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--eval-episodes", type=int, default=5)
    parser.add_argument("--modalities", nargs="+", default=["proprio", "goal"])
    parser.add_argument("--pixels", type=int, help="wm_mpc observes only camera images this size")
    parser.add_argument("--frame-stack", type=int, default=1, help="wm_mpc's stacked rgb frames")
    parser.add_argument("--seed-steps", type=int, default=1000)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--num-samples", type=int, default=256)
    parser.add_argument("--num-elites", type=int, default=32)
    parser.add_argument("--iterations", type=int, default=4)
    parser.add_argument("--num-policy-samples", type=int, default=16)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--eval-every", type=int, help="env steps between learning-curve points")
    parser.add_argument("--compile", action="store_true", help="compile wm_mpc on the CPU too")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    results: dict[str, dict[str, dict[str, float]]] = {}
    curves: dict[str, dict[str, dict[str, list]]] = {}
    seconds: dict[str, float] = {}
    for env_id in args.envs:
        results[env_id], curves[env_id] = {}, {}
        for method in args.methods:
            pixel_args = (args.frame_stack, args.pixels) if method == "wm_mpc" else (1, None)
            modalities = args.modalities if method == "wm_mpc" else ["proprio", "goal"]
            env_factory = partial(make_env, env_id, modalities, *pixel_args)
            runs, curves[env_id][method] = {}, {}
            start = time.perf_counter()
            for seed in args.seeds:
                torch.manual_seed(seed)
                env = env_factory()
                record = CurveRecorder(env_factory, args.eval_every, args.eval_episodes)
                agent = TRAINERS[method](env, args.steps, seed, args, record)
                runs[str(seed)] = evaluate(env, agent, args.eval_episodes)
                record.points.append([args.steps, runs[str(seed)]])
                curves[env_id][method][str(seed)] = record.points
                record.close()
                env.close()
                print(f"{env_id} {method} seed {seed}: {runs[str(seed)]:.1f}", file=sys.stderr)
            seconds[f"{env_id}/{method}"] = time.perf_counter() - start
            results[env_id][method] = runs
    summary = {
        env_id: {m: float(np.mean(list(r.values()))) for m, r in by_method.items()}
        for env_id, by_method in results.items()
    }
    report = {
        "benchmark": "sample_efficiency",
        "machine": machine_info(torch.device(args.device)),
        "settings": vars(args),
        "mean_return": summary,
        "returns": results,
        "curves": curves,
        "seconds": seconds,
    }
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
