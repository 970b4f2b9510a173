"""Run one episode of an agent in an environment, optionally recording its frames."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import gymnasium as gym
import numpy as np

from embodied.agents.base import Agent
from embodied.step_records import step_record
from runkit.progress import ProgressBar


@dataclass
class EpisodeResult:
    """What one episode produced."""

    episode_return: float
    length: int
    terminated: bool
    seconds: float
    success: bool | None = None
    measures: dict[str, float] = field(default_factory=dict)
    frames: list[np.ndarray] = field(default_factory=list, repr=False)
    steps: list[dict[str, Any]] = field(default_factory=list, repr=False)

    def metrics(self) -> dict[str, float | int | bool | None]:
        """Return, length, success (None where the task has no success flag) and measures."""
        return {
            "return": self.episode_return,
            "length": self.length,
            "terminated": self.terminated,
            "success": self.success,
            "steps_per_second": self.length / max(self.seconds, 1e-9),
            **self.measures,
        }


def run_episode(
    env: gym.Env,
    agent: Agent,
    seed: int,
    record: bool = False,
    progress: ProgressBar | None = None,
    steps: bool = False,
) -> EpisodeResult:
    """Reset env and agent with ``seed``, act until the episode ends, return its result.

    ``record`` keeps the rendered frames (the reset's, then one per step); ``steps`` keeps a
    record per step (:func:`embodied.step_records.step_record`: reward, measures and the
    agent's ``explain()``)."""
    observation, _ = env.reset(seed=seed)
    agent.reset(seed=seed)
    frames = [env.render()] if record else []
    total, length, terminated, truncated, info = 0.0, 0, False, False, {}
    observe = getattr(agent, "observe", None)  # agents that learn online see each transition
    explain = getattr(agent, "explain", None) if steps else None  # optional (Agent.explain)
    records: list[dict[str, Any]] = []
    start = time.perf_counter()
    while not (terminated or truncated):
        action = agent.act(observation)
        observation, reward, terminated, truncated, info = env.step(action)
        if observe is not None:
            observe(observation, action, float(reward), bool(terminated))
        total += float(reward)
        length += 1
        if record:
            frames.append(env.render())
        if steps:
            reasoning = explain() if explain is not None else None
            records.append(step_record(length, float(reward), total, info, reasoning))
        if progress is not None:
            progress.advance(1, ret=total)
    success = bool(info["success"]) if "success" in info else None
    measures = {
        k: float(v)
        for k, v in info.items()
        if k != "success" and isinstance(v, int | float | np.number) and not isinstance(v, bool)
    }
    seconds = time.perf_counter() - start
    return EpisodeResult(total, length, terminated, seconds, success, measures, frames, records)
