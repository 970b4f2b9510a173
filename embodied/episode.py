"""``python -m embodied.episode``: run episodes of an agent in a scene.

Writes the resolved config, run.log, metrics.json, steps.jsonl (per step: reward, measures and
the agent's reasoning, :mod:`embodied.step_records`) and videos/episode_NNN.mp4 (the first
``record_episodes`` episodes when ``record=true``, with the overlays of
:mod:`embodied.video_overlay`) into the run folder. ``executor=ray`` runs the episodes side by
side as Ray tasks (``ray.address=auto`` on a cluster). ``overlay=false`` records raw frames.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf

import embodied.config  # noqa: F401  (registers the schemas)
from embodied.env_builder import build_env
from embodied.runner import EpisodeResult, run_episode
from embodied.step_records import STEPS_FILE, StepWriter
from embodied.video import write_video
from embodied.video_overlay import overlay_episode
from planning.ray_executor import RaySettings, check_executor
from runkit import UsageError, hydra_entry_point, progress_bar, start_run
from runkit.progress import ProgressBar

log = logging.getLogger(__name__)


def run(cfg: DictConfig, output_dir: str | Path | None = None) -> dict[str, Any]:
    """Run the episodes of ``cfg`` and return the metrics written to metrics.json (into
    ``output_dir``, default hydra's run folder)."""
    if cfg.episodes < 1:  # no episode would leave metrics of NaN means
        raise UsageError(f"episodes={cfg.episodes}: must be at least 1")
    ctx = start_run(cfg, output_dir)
    check_executor(cfg.executor)
    env = build_env(cfg.env, render=cfg.record and cfg.record_episodes > 0)
    max_steps = getattr(env.unwrapped, "max_episode_steps", None)
    seeds = [ctx.seed + index for index in range(cfg.episodes)]
    record = [bool(cfg.record) and index < cfg.record_episodes for index in range(cfg.episodes)]
    fps = env.metadata.get("render_fps", 30)
    writers: list[StepWriter] = []  # made with the first finished episode (below)

    def finished(index: int, result: EpisodeResult) -> None:
        log.info("episode %d: return %.2f in %d steps", index, result.episode_return, result.length)
        if not writers:  # not at the start: a start that fails (a bad agent.checkpoint) leaves
            writers.append(StepWriter(ctx.artefact(STEPS_FILE)))  # only start files, removed
        writers[0].write(index, result.steps)
        if record[index]:
            frames = overlay_episode(result.frames, result.steps) if cfg.overlay else result.frames
            path = write_video(ctx.artefact(f"videos/episode_{index:03d}.mp4"), frames, fps)
            log.info("video written to %s", path)
            result.frames = []
        result.steps = []

    total = cfg.episodes * (max_steps or 0) or None
    with progress_bar(total, str(cfg.env.id), cfg.run.progress) as bar:
        if cfg.executor == "ray":
            results = _episodes_on_ray(cfg, seeds, record, bar, finished)
        else:
            agent = instantiate(cfg.agent, env=env)
            results = []
            for index, (seed, rec) in enumerate(zip(seeds, record, strict=True)):
                result = run_episode(env, agent, seed, rec, progress=bar, steps=True)
                results.append(result)
                finished(index, results[-1])
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
        "video_fps": fps,  # video time t shows step floor(t * video_fps) (0: the reset)
    }
    ctx.write_metrics(metrics)
    return metrics


def _episodes_on_ray(
    cfg: DictConfig,
    seeds: list[int],
    record: list[bool],
    bar: ProgressBar,
    finished: Callable[[int, EpisodeResult], None],
) -> list[EpisodeResult]:
    """The episodes of ``cfg`` as Ray tasks (see :mod:`embodied.data.ray_rollouts`)."""
    from embodied.data.ray_rollouts import episodes_on_ray

    def done(index: int, result: EpisodeResult) -> None:
        bar.advance(result.length, ret=result.episode_return)
        finished(index, result)

    env_cfg = OmegaConf.to_container(cfg.env, resolve=True)
    agent_cfg = OmegaConf.to_container(cfg.agent, resolve=True)
    settings = RaySettings(**cfg.ray)
    return episodes_on_ray(env_cfg, agent_cfg, seeds, record, settings, done)  # type: ignore[arg-type]


@hydra_entry_point("episode")
def main(cfg: DictConfig) -> None:
    run(cfg)


if __name__ == "__main__":
    main()
