"""One local Ray (2 CPUs) for the scale-out tests, started once and shut down after them."""

from __future__ import annotations

from collections.abc import Iterator
from types import ModuleType

import pytest

from planning.ray_executor import import_ray


@pytest.fixture(scope="session")
def ray_local() -> Iterator[ModuleType]:
    """``ray.init(num_cpus=2)`` plus one logical GPU, so that tasks asking for a GPU are
    scheduled on this CPU-only machine (Ray then sets their CUDA_VISIBLE_DEVICES)."""
    ray = import_ray()
    ray.init(num_cpus=2, num_gpus=1, include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()
