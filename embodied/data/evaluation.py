"""Closed-loop evaluation of a world-model checkpoint, for training jobs that evaluate as they go.

``worldmodels.train`` never imports ``embodied``: its config names this class
(``_target_: embodied.data.AgentEvaluation``) and calls ``evaluate(checkpoint, video_path)``
after each evaluation checkpoint; it gets the return of the world-model MPC agent planning
(without learning) in the real env, and a short video of the first episode.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

import embodied
from embodied.agents.world_model_mpc import WorldModelMPCAgent
from embodied.runner import run_episode
from embodied.video import write_video


class AgentEvaluation:
    """``episodes`` episodes of ``env`` (at most ``steps`` steps each) with ``agent=wm_mpc``
    planning in a checkpoint; ``agent`` holds the agent's planner options (horizon, samples...).
    Episode seeds start at ``seed`` (by default apart from the training data's seeds and from
    the 10,000 on that a final test uses)."""

    def __init__(
        self,
        env: str,
        episodes: int = 1,
        steps: int | None = None,
        video_steps: int = 100,
        width: int = 160,
        height: int = 120,
        seed: int = 20_000,
        agent: Mapping[str, Any] | None = None,
    ) -> None:
        if episodes < 1:
            raise ValueError(f"agent_eval.episodes must be >= 1, got {episodes}")
        self.env_id, self.episodes, self.steps = env, episodes, steps
        self.video_steps, self.width, self.height = video_steps, width, height
        self.seed, self.agent = seed, dict(agent or {})

    def evaluate(self, checkpoint: str | Path, video_path: str | Path | None = None) -> dict:
        """Mean return (and each episode's) of the agent planning in ``checkpoint``."""
        options: dict[str, Any] = {"render_mode": "rgb_array"} if video_path else {}
        if video_path:
            options.update(width=self.width, height=self.height)
        if self.steps is not None:
            options["max_episode_steps"] = self.steps
        env = embodied.make(self.env_id, **options)
        try:
            agent = WorldModelMPCAgent(
                env, checkpoint=str(checkpoint), learn=False, env_id=self.env_id, **self.agent
            )
            returns, lengths = [], []
            for index in range(self.episodes):
                record = video_path is not None and index == 0
                result = run_episode(env, agent, seed=self.seed + index, record=record)
                returns.append(result.episode_return)
                lengths.append(result.length)
                if record:
                    frames = result.frames[: self.video_steps + 1]
                    write_video(video_path, frames, env.metadata.get("render_fps", 30))
        finally:
            env.close()
        return {"return": float(np.mean(returns)), "returns": returns, "lengths": lengths}
