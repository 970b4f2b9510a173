"""Hydra wiring shared by the entry points: where the config tree lives and how apps start."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import hydra
from omegaconf import DictConfig

from runkit.status import recorded_status

CONFIG_DIR = Path(__file__).resolve().parents[1] / "configs"


def hydra_entry_point(
    config_name: str,
) -> Callable[[Callable[[DictConfig], Any]], Callable[[], Any]]:
    """Turn ``main(cfg)`` into a hydra app reading ``configs/<config_name>.yaml``; each job
    records its status (running, finished, failed, killed) in its run folder
    (:mod:`runkit.status`)."""

    def decorate(main: Callable[[DictConfig], Any]) -> Callable[[], Any]:
        @functools.wraps(main)
        def job(cfg: DictConfig) -> Any:
            from hydra.core.hydra_config import HydraConfig

            runtime = HydraConfig.get()
            with recorded_status(Path(runtime.runtime.output_dir), runtime.job.name):
                return main(cfg)

        return hydra.main(config_path=str(CONFIG_DIR), config_name=config_name, version_base="1.3")(
            job
        )

    return decorate
