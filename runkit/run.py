"""The run folder: resolved config, log, metrics.json and artefacts, written atomically."""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from omegaconf import DictConfig, OmegaConf

from planning.checkpoint import atomic_write
from runkit.device import resolve_device
from runkit.seeding import seed_everything

if TYPE_CHECKING:
    import torch

log = logging.getLogger(__name__)


@dataclass
class RunContext:
    """Where a run writes, and the device and seed it runs with."""

    output_dir: Path
    device: torch.device
    seed: int

    def artefact(self, name: str) -> Path:
        """Path of an artefact file inside the run folder (parent folders created)."""
        path = self.output_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def write_json(self, name: str, data: Any) -> Path:
        """Write ``data`` as pretty JSON into the run folder, atomically."""
        path = self.artefact(name)
        text = json.dumps(data, indent=2, sort_keys=True, default=_jsonable)
        atomic_write(path, lambda f: f.write(text.encode() + b"\n"))
        return path

    def write_metrics(self, metrics: dict[str, Any]) -> Path:
        """Write the run's ``metrics.json``."""
        path = self.write_json("metrics.json", metrics)
        log.info("metrics written to %s", path)
        return path


def _jsonable(value: Any) -> Any:
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def output_folder(output_dir: str | os.PathLike | None = None) -> Path:
    """``output_dir``, or hydra's output folder of the current job when it is None."""
    if output_dir is None:
        from hydra.core.hydra_config import HydraConfig

        output_dir = HydraConfig.get().runtime.output_dir
    return Path(output_dir)


def start_run(
    cfg: DictConfig, output_dir: str | os.PathLike | None = None, write_config: bool = True
) -> RunContext:
    """Seed, pick the device and write the resolved config into the run folder.

    ``output_dir`` defaults to hydra's output folder of the current job. A resumed run passes
    ``write_config=False``: the config.yaml its first start wrote is the run's and stays as is.
    """
    out = output_folder(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    seed = int(cfg.run.seed)
    seed_everything(seed)
    device = resolve_device(str(cfg.run.device))
    if write_config:
        resolved = OmegaConf.to_yaml(cfg, resolve=True)
        atomic_write(out / "config.yaml", lambda f: f.write(resolved.encode()))
    log.info("run folder %s (device %s, seed %d)", out, device, seed)
    return RunContext(output_dir=out, device=device, seed=seed)
