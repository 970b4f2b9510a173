"""Shared fixtures of the world-model tests: one thread (small models on a shared CPU) and a
small cartpole dataset."""

from __future__ import annotations

import pytest

from worldmodels.data import EpisodeDataset


@pytest.fixture(autouse=True)
def _one_thread(one_torch_thread):
    yield


@pytest.fixture(scope="session")
def cartpole() -> EpisodeDataset:
    from embodied.data import SimulatorCollection

    source = SimulatorCollection("cartpole-balance", num_episodes=40, steps=100)
    return EpisodeDataset(source.episodes(seed=0), ["proprio"])
