"""The ``run`` section that every entry point's schema embeds."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hydra.core.config_store import ConfigStore
from omegaconf import MISSING


@dataclass
class RunConfig:
    """Settings every run shares.

    seed: seeds python, numpy and torch (and is the default seed of the run's parts).
    device: "auto" (CUDA when present, else CPU), "cpu", "cuda" or "cuda:N".
    progress: show rich progress bars on long loops.
    """

    seed: int = 0
    device: str = "auto"
    progress: bool = True


@dataclass
class EnvConfig:
    """The ``env`` group: which environment (an id of ``embodied.list_envs()``) and its options.

    Shared by every entry point that names an environment (episodes, world-model training), so
    ``env=<option>`` means the same everywhere; the options are in configs/env/.
    ``pixels=N`` makes the env observe only its camera's N×N images (``{"rgb": ...}``), and
    ``frame_stack=K`` stacks the last K rgb frames along the channels (``embodied.pixels``);
    ``width``/``height`` are the size of the recorded videos.
    """

    id: str = MISSING
    max_episode_steps: int | None = None
    frame_skip: int | None = None
    width: int = 320
    height: int = 240
    pixels: int | None = None
    frame_stack: int = 1
    options: dict[str, Any] = field(default_factory=dict)


ConfigStore.instance().store(group="env", name="env_schema", node=EnvConfig)
