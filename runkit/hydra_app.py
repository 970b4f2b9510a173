"""Hydra wiring shared by the entry points: where the config tree lives and how apps start."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import hydra
from omegaconf import DictConfig

CONFIG_DIR = Path(__file__).resolve().parents[1] / "configs"


def hydra_entry_point(
    config_name: str,
) -> Callable[[Callable[[DictConfig], Any]], Callable[[], Any]]:
    """Turn ``main(cfg)`` into a hydra app reading ``configs/<config_name>.yaml``."""
    return hydra.main(config_path=str(CONFIG_DIR), config_name=config_name, version_base="1.3")
