"""Compose the project's hydra configs in tests, the way the entry points do."""

from __future__ import annotations

from hydra import compose, initialize_config_dir
from omegaconf import DictConfig

from runkit import CONFIG_DIR


def compose_config(name: str, overrides: list[str] | None = None) -> DictConfig:
    """Compose ``configs/<name>.yaml`` with ``overrides`` (hydra's own node included)."""
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        return compose(config_name=name, overrides=overrides or [], return_hydra_config=True)
