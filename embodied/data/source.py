"""Data sources that world-model training jobs instantiate from config.

``worldmodels`` never imports ``embodied``: a training config names one of these classes with
``_target_: embodied.data.SimulatorCollection`` (or ``SavedEpisodes``) and calls
``episodes(seed)``, which yields episode dicts in the format of :mod:`embodied.data.episodes`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np

import embodied
from embodied.data.episodes import EpisodeWriter, load_dataset
from embodied.data.rollout_collector import collect_state_episodes
from embodied.data.vector_collector import collect_sensor_episodes
from embodied.mujoco_env import MujocoEnv
from planning.ray_executor import RaySettings, check_executor


class SimulatorCollection:
    """Collect ``num_episodes`` random-action episodes of ``env`` with MuJoCo's native rollout
    (smoothed actions), or, for scene envs, through Gymnasium on ``nthread`` envs (uniform
    random actions, every observation kept); episodes last at most ``steps`` steps.

    With ``save_to`` the episodes are also written there as a dataset folder. With
    ``executor="ray"`` the episodes are split among ``workers`` Ray tasks (``ray``: the
    :class:`~planning.ray_executor.RaySettings` fields) of ``nthread`` threads each; the same
    seed gives the same episodes either way.
    """

    def __init__(
        self,
        env: str,
        num_episodes: int = 64,
        steps: int = 200,
        action_smoothing: float = 0.5,
        nthread: int = 2,
        save_to: str | None = None,
        executor: str = "local",
        workers: int = 4,
        ray: Mapping[str, Any] | None = None,
    ) -> None:
        self.env_id = env
        self.num_episodes = num_episodes
        self.steps = steps
        self.action_smoothing = action_smoothing
        self.nthread = nthread
        self.save_to = save_to
        self.executor = check_executor(executor)
        self.workers = workers
        self.ray = RaySettings(**(ray or {}))

    def episodes(self, seed: int = 0) -> Iterator[dict[str, np.ndarray]]:
        writer = None if self.save_to is None else EpisodeWriter(self.save_to, self.env_id)
        for episode in self._collect(seed):
            if writer is not None:
                writer.add(episode)
            yield episode

    def _collect(self, seed: int) -> Iterator[dict[str, np.ndarray]]:
        options = {"seed": seed, "nthread": self.nthread, "action_smoothing": self.action_smoothing}
        if self.executor == "ray":
            from embodied.data.ray_rollouts import collect_on_ray

            yield from collect_on_ray(
                self.env_id, self.num_episodes, self.steps, workers=self.workers,
                settings=self.ray, **options,
            )  # fmt: skip
            return
        env = embodied.make(self.env_id)
        native = isinstance(env.unwrapped, MujocoEnv)
        try:
            if native:
                yield from collect_state_episodes(env, self.num_episodes, self.steps, **options)
        finally:
            env.close()
        if not native:  # a scene env: step it through Gymnasium, every observation kept
            yield from collect_sensor_episodes(
                self.env_id,
                self.num_episodes,
                num_envs=self.nthread,
                seed=seed,
                max_episode_steps=self.steps,
            )


class SavedEpisodes:
    """Episodes saved earlier in a dataset folder (see :mod:`embodied.data.episodes`)."""

    def __init__(self, path: str) -> None:
        self.path = Path(path)

    def episodes(self, seed: int = 0) -> Iterator[dict[str, np.ndarray]]:
        _, episodes = load_dataset(self.path)
        yield from episodes
