"""Data sources that world-model training jobs instantiate from config.

``worldmodels`` never imports ``embodied``: a training config names one of these classes with
``_target_: embodied.data.SimulatorCollection`` (or ``SavedEpisodes``) and calls
``episodes(seed)``, which yields episode dicts in the format of :mod:`embodied.data.episodes`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

import embodied
from embodied.data.episodes import EpisodeWriter, load_dataset
from embodied.data.rollout_collector import collect_state_episodes


class SimulatorCollection:
    """Collect ``num_episodes`` random-action episodes of ``env`` with MuJoCo's native rollout.

    With ``save_to`` the episodes are also written there as a dataset folder.
    """

    def __init__(
        self,
        env: str,
        num_episodes: int = 64,
        steps: int = 200,
        action_smoothing: float = 0.5,
        nthread: int = 2,
        save_to: str | None = None,
    ) -> None:
        self.env_id = env
        self.num_episodes = num_episodes
        self.steps = steps
        self.action_smoothing = action_smoothing
        self.nthread = nthread
        self.save_to = save_to

    def episodes(self, seed: int = 0) -> Iterator[dict[str, np.ndarray]]:
        env = embodied.make(self.env_id)
        writer = None if self.save_to is None else EpisodeWriter(self.save_to, self.env_id)
        try:
            for episode in collect_state_episodes(
                env,
                self.num_episodes,
                self.steps,
                seed=seed,
                nthread=self.nthread,
                action_smoothing=self.action_smoothing,
            ):
                if writer is not None:
                    writer.add(episode)
                yield episode
        finally:
            env.close()


class SavedEpisodes:
    """Episodes saved earlier in a dataset folder (see :mod:`embodied.data.episodes`)."""

    def __init__(self, path: str) -> None:
        self.path = Path(path)

    def episodes(self, seed: int = 0) -> Iterator[dict[str, np.ndarray]]:
        _, episodes = load_dataset(self.path)
        yield from episodes
