"""``python -m embodied.episode``: run episodes of an agent in a scene.

Writes the resolved config, run.log, metrics.json and videos/episode_NNN.mp4 (the first
``record_episodes`` episodes when ``record=true``) into the run folder.
"""

from __future__ import annotations

import logging
from typing import Any

import gymnasium as gym
import numpy as np
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf

import embodied
import embodied.config
from embodied.runner import run_episode
from embodied.video import write_video
from runkit import hydra_entry_point, progress_bar, start_run
from runkit.config import EnvConfig

log = logging.getLogger(__name__)


def build_env(cfg: EnvConfig | DictConfig, render: bool) -> gym.Env:
    """Build the env of an ``env`` config section (unset fields keep the env's defaults)."""
    options: dict[str, Any] = dict(OmegaConf.to_container(cfg.options, resolve=True))  # type: ignore[arg-type]
    for key in ("max_episode_steps", "frame_skip"):
        if cfg[key] is not None:
            options[key] = cfg[key]
    if render:
        options.update(render_mode="rgb_array", width=cfg.width, height=cfg.height)
    return embodied.make(cfg.id, **options)


def run(cfg: DictConfig) -> dict[str, Any]:
    """Run the episodes of ``cfg`` and return the metrics written to metrics.json."""
    ctx = start_run(cfg)
    env = build_env(cfg.env, render=cfg.record and cfg.record_episodes > 0)
    agent = instantiate(cfg.agent, env=env)
    max_steps = getattr(env.unwrapped, "max_episode_steps", None)
    results = []
    with progress_bar(cfg.episodes * (max_steps or 0) or None, "episodes", cfg.run.progress) as bar:
        for index in range(cfg.episodes):
            record = cfg.record and index < cfg.record_episodes
            result = run_episode(env, agent, seed=ctx.seed + index, record=record, progress=bar)
            log.info(
                "episode %d: return %.2f in %d steps", index, result.episode_return, result.length
            )
            if record:
                fps = env.metadata.get("render_fps", 30)
                path = write_video(
                    ctx.artefact(f"videos/episode_{index:03d}.mp4"), result.frames, fps
                )
                log.info("video written to %s", path)
            results.append(result)
    if hasattr(agent, "close"):
        agent.close()
    env.close()
    returns = np.array([r.episode_return for r in results])
    successes = [r.success for r in results if r.success is not None]
    metrics = {
        "env": cfg.env.id,
        "agent": cfg.agent._target_,
        "episodes": [r.metrics() for r in results],
        "return_mean": float(returns.mean()),
        "return_std": float(returns.std()),
        "length_mean": float(np.mean([r.length for r in results])),
        "success_rate": float(np.mean(successes)) if successes else None,
    }
    ctx.write_metrics(metrics)
    return metrics


@hydra_entry_point("episode")
def main(cfg: DictConfig) -> None:
    run(cfg)


if __name__ == "__main__":
    main()
