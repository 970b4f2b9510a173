"""Structured-config schema of ``python -m worldmodels.train`` (configs/train_worldmodel.yaml).

The data source is instantiated from config (``_target_``), so that this package never imports
``embodied`` in code: the dependency lives in the config tree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hydra.core.config_store import ConfigStore
from omegaconf import MISSING

from runkit.config import RunConfig


@dataclass
class OptimConfig:
    learning_rate: float = 3e-4
    batch_size: int = 256
    grad_clip_norm: float = 20.0


@dataclass
class TrainWorldModelConfig:
    """Collect or load data, train a world model, evaluate it at ``eval_horizons``, checkpoint."""

    run: RunConfig = field(default_factory=RunConfig)
    env: str = MISSING
    data: Any = None
    worldmodel: Any = None
    steps: int = 10_000
    optim: OptimConfig = field(default_factory=OptimConfig)
    eval_horizons: list[int] = field(default_factory=lambda: [1, 5, 10])
    checkpoint_every: int = 1_000


def register_configs() -> None:
    ConfigStore.instance().store(name="train_worldmodel_schema", node=TrainWorldModelConfig)


register_configs()
