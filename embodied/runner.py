"""Run one episode of an agent in an environment, optionally recording its frames."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import gymnasium as gym
import numpy as np

from embodied.agents.base import Agent
from runkit.progress import ProgressBar


@dataclass
class EpisodeResult:
    """What one episode produced."""

    episode_return: float
    length: int
    terminated: bool
    seconds: float
    frames: list[np.ndarray] = field(default_factory=list, repr=False)

    def metrics(self) -> dict[str, float | int | bool]:
        return {
            "return": self.episode_return,
            "length": self.length,
            "terminated": self.terminated,
            "steps_per_second": self.length / max(self.seconds, 1e-9),
        }


def run_episode(
    env: gym.Env,
    agent: Agent,
    seed: int,
    record: bool = False,
    progress: ProgressBar | None = None,
) -> EpisodeResult:
    """Reset env and agent with ``seed``, act until the episode ends, return its result."""
    observation, _ = env.reset(seed=seed)
    agent.reset(seed=seed)
    frames = [env.render()] if record else []
    total, length, terminated, truncated = 0.0, 0, False, False
    start = time.perf_counter()
    while not (terminated or truncated):
        observation, reward, terminated, truncated, _ = env.step(agent.act(observation))
        total += float(reward)
        length += 1
        if record:
            frames.append(env.render())
        if progress is not None:
            progress.advance(1, ret=total)
    return EpisodeResult(total, length, terminated, time.perf_counter() - start, frames)
