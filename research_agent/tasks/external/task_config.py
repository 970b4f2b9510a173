"""Reading another benchmark's task config: its YAML, its required keys, its metric's direction."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml


class ExternalTaskError(ValueError):
    """A task folder or config that cannot be loaded; the message names the file and key."""


def read_yaml(path: Path, what: str) -> dict[str, Any]:
    """The mapping in the YAML file ``path``, or an :class:`ExternalTaskError` naming it."""
    if not path.is_file():
        raise ExternalTaskError(f"{path} does not exist; expected {what}")
    try:
        raw = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise ExternalTaskError(f"{path} is not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise ExternalTaskError(f"{path} must hold a mapping ({what}), got {type(raw).__name__}")
    return raw


def require(raw: dict[str, Any], key: str, path: Path, kind: type | tuple[type, ...] = str) -> Any:
    """``raw[key]`` checked for presence and type; errors name ``path`` and ``key``."""
    if key not in raw or raw[key] is None:
        raise ExternalTaskError(f"{path}: missing required key {key!r}")
    if not isinstance(raw[key], kind):
        names = kind.__name__ if isinstance(kind, type) else "/".join(k.__name__ for k in kind)
        raise ExternalTaskError(f"{path}: key {key!r} must be {names}, got {raw[key]!r}")
    return raw[key]


def guess_direction(metric: str) -> str:
    """ "minimize" for losses, errors and times (by the metric's name), else "maximize"."""
    name = metric.lower()
    lower = ("loss", "error", "rmse", "mse", "mae", "rmsle", "time", "perplexity", "distance")
    return "minimize" if any(word in name for word in lower) else "maximize"
