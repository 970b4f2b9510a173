"""Shared fixtures of the world-model tests: one thread (small models on a shared CPU) and a
small cartpole dataset."""

from __future__ import annotations

import pytest
import torch

from worldmodels.data import EpisodeDataset


@pytest.fixture(autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="session")
def cartpole() -> EpisodeDataset:
    from embodied.data import SimulatorCollection

    source = SimulatorCollection("cartpole-balance", num_episodes=40, steps=100)
    return EpisodeDataset(source.episodes(seed=0), ["proprio"])
