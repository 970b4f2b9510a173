"""Episodes and world-model data collected on Ray workers (``executor=ray``).

:func:`collect_on_ray` splits a state-only collection into contiguous ranges of episodes, one
Ray task each; since every range skips to its place in the seed's stream, the episodes are the
same as one local collection with the same seed. :func:`episodes_on_ray` runs whole episodes
of an agent, one Ray task each, with a fresh env and agent built from their configs.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

import embodied
from embodied.data.rollout_collector import collect_state_episodes
from embodied.env_builder import build_env
from embodied.runner import EpisodeResult, run_episode
from planning.ray_executor import RaySettings, WorkerLost, ensure_ray, ray_map, task_options


@dataclass(frozen=True)
class _Chunk:
    """Collect episodes ``first .. first + count - 1`` of the ``seed``'s stream."""

    env_id: str
    first: int
    count: int
    steps: int
    seed: int
    nthread: int
    action_smoothing: float

    def collect(self) -> list[dict[str, np.ndarray]]:
        env = embodied.make(self.env_id)
        try:
            return list(
                collect_state_episodes(
                    env,
                    self.count,
                    self.steps,
                    seed=self.seed,
                    nthread=self.nthread,
                    action_smoothing=self.action_smoothing,
                    first_episode=self.first,
                )
            )
        finally:
            env.close()


def _run_chunk(chunk: _Chunk) -> list[dict[str, np.ndarray]]:
    return chunk.collect()


def split(total: int, parts: int) -> list[tuple[int, int]]:
    """``(first, count)`` of ``parts`` contiguous ranges covering ``range(total)`` (none empty)."""
    if total < 1 or parts < 1:
        raise ValueError(f"need total >= 1 and parts >= 1, got total={total}, parts={parts}")
    parts = min(parts, total)
    bounds = np.linspace(0, total, parts + 1).round().astype(int)
    return [(int(a), int(b - a)) for a, b in itertools.pairwise(bounds)]


def collect_on_ray(
    env_id: str,
    num_episodes: int,
    steps: int,
    seed: int = 0,
    workers: int = 4,
    settings: RaySettings | None = None,
    nthread: int = 1,
    action_smoothing: float = 0.0,
) -> Iterator[dict[str, np.ndarray]]:
    """Yield the episodes of :func:`collect_state_episodes` (same seed, same episodes), collected
    by ``workers`` Ray tasks of ``nthread`` rollout threads each, in episode order."""
    settings = settings or RaySettings()
    ensure_ray(settings)
    chunks = [
        _Chunk(env_id, first, count, steps, seed, nthread, action_smoothing)
        for first, count in split(num_episodes, workers)
    ]
    options = task_options(settings, num_cpus=float(nthread))
    for chunk, result in zip(chunks, ray_map(_run_chunk, chunks, options), strict=True):
        if isinstance(result, WorkerLost):
            last = chunk.first + chunk.count - 1
            raise RuntimeError(f"collecting episodes {chunk.first}-{last} failed: {result.error}")
        yield from result


@dataclass(frozen=True)
class EpisodeTask:
    """One episode with a fresh env and agent built from plain (resolved) configs."""

    env_cfg: dict[str, Any]
    agent_cfg: dict[str, Any]

    def __call__(self, job: tuple[int, bool]) -> EpisodeResult:
        from hydra.utils import instantiate
        from omegaconf import OmegaConf

        seed, record = job
        env = build_env(OmegaConf.create(self.env_cfg), render=record)
        agent = instantiate(self.agent_cfg, env=env)
        try:
            return run_episode(env, agent, seed=seed, record=record, steps=True)
        finally:
            if hasattr(agent, "close"):
                agent.close()
            env.close()


def episodes_on_ray(
    env_cfg: dict[str, Any],
    agent_cfg: dict[str, Any],
    seeds: Sequence[int],
    record: Sequence[bool],
    settings: RaySettings | None = None,
    on_episode: Callable[[int, EpisodeResult], None] | None = None,
    workers: int | None = None,
) -> list[EpisodeResult]:
    """Run one episode per seed as a Ray task each (``record[i]`` keeps episode i's frames),
    at most ``workers`` at a time (None: as many as the cluster's CPUs allow);
    ``on_episode(index, result)`` is called as each one finishes. Results come in seed order.

    Every episode gets a fresh agent, so agents that learn across episodes are refused.
    """
    if agent_cfg.get("learn"):
        raise ValueError(
            "executor=ray runs every episode with a fresh agent, but this agent learns across "
            "episodes (agent.learn=true); use executor=local or agent.learn=false"
        )
    if len(seeds) != len(record):
        raise ValueError(f"{len(seeds)} seeds but {len(record)} record flags")
    settings = settings or RaySettings()
    ensure_ray(settings)

    def done(index: int, result: EpisodeResult | WorkerLost) -> None:
        if on_episode is not None and isinstance(result, EpisodeResult):
            on_episode(index, result)

    task = EpisodeTask(env_cfg, agent_cfg)
    jobs = list(zip(seeds, record, strict=True))
    results = ray_map(task, jobs, task_options(settings), workers, on_result=done)
    lost = [i for i, r in enumerate(results) if isinstance(r, WorkerLost)]
    if lost:
        error = results[lost[0]].error  # type: ignore[union-attr]
        raise RuntimeError(f"episodes {lost} were lost with their Ray workers: {error}")
    return results  # type: ignore[return-value]
