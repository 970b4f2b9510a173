"""Checks of an ``env`` command line before hydra creates the run folder (or a sweep's)."""

from __future__ import annotations

from omegaconf import DictConfig, OmegaConf

from embodied.registry import env_spec
from runkit import Preflight


class EnvPreflight(Preflight):
    """``env.id`` must be a registered environment (in either spelling): an unknown one lists
    them, with a "did you mean", exit code 2 and no run folder; in a multirun, for every job
    before the first runs (``configs/episode.yaml``, ``configs/train_worldmodel.yaml``)."""

    def check(self, config: DictConfig) -> None:
        env_id = OmegaConf.select(config, "env.id")
        if env_id is not None:
            env_spec(str(env_id))
