"""An agent's config dataclass from the keyword arguments hydra's ``instantiate`` passes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields, is_dataclass, replace
from typing import Any, TypeVar

from omegaconf import DictConfig, ListConfig, OmegaConf

C = TypeVar("C")


def agent_config(cls: type[C], cfg: C | None, options: Mapping[str, Any]) -> C:
    """``cfg``, or ``cls`` built from ``options`` (its fields by name, as hydra passes them).

    A nested config given as a mapping (a hydra node or a plain dict) updates that field's
    default, so ``{"planner": {"horizon": 25}}`` keeps the agent's other planner settings. An
    option that is no field of ``cls`` raises a TypeError naming it and the valid ones.
    """
    if cfg is not None:
        if options:
            raise TypeError(f"give {cls.__name__} or its options, not both: {sorted(options)}")
        return cfg
    return _updated(cls(), options, "agent")


def _updated(default: Any, options: Mapping[str, Any], path: str) -> Any:
    if isinstance(options, DictConfig):
        options = OmegaConf.to_container(options, resolve=True)  # type: ignore[assignment]
    names = [f.name for f in fields(default)]
    unknown = sorted(set(options) - set(names))
    if unknown:
        raise TypeError(f"{path} has no option(s) {', '.join(unknown)}; valid: {', '.join(names)}")
    values = {}
    for name, value in options.items():
        current = getattr(default, name)
        if isinstance(value, DictConfig | ListConfig):
            value = OmegaConf.to_container(value, resolve=True)
        if is_dataclass(current) and isinstance(value, Mapping):
            value = _updated(current, value, f"{path}.{name}")
        values[name] = value
    return replace(default, **values)
