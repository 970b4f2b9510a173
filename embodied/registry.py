"""Environment registry: ``make(env_id, **overrides)``, ``list_envs()``; mirrored in Gymnasium."""

from __future__ import annotations

import difflib
import importlib
import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import gymnasium as gym

from runkit.preflight import UsageError

GYMNASIUM_NAMESPACE = "embodied"


@dataclass(frozen=True)
class EnvSpec:
    """How to build one environment id: a constructor (or ``"module:Class"``, imported when the
    environment is made) and its default keyword arguments."""

    env_id: str
    entry_point: Callable[..., gym.Env] | str
    defaults: dict[str, Any] = field(default_factory=dict)
    description: str = ""

    @property
    def constructor(self) -> Callable[..., gym.Env]:
        """The entry point, its module imported if it was given as ``"module:Class"``."""
        if not isinstance(self.entry_point, str):
            return self.entry_point
        module, name = self.entry_point.split(":")
        return getattr(importlib.import_module(module), name)

    @property
    def gymnasium_id(self) -> str:
        return f"{GYMNASIUM_NAMESPACE}/{self.env_id.replace('/', '-')}-v0"  # one namespace only


_REGISTRY: dict[str, EnvSpec] = {}


def register_env(
    env_id: str, entry_point: Callable[..., gym.Env] | str, description: str = "", **defaults: Any
) -> EnvSpec:
    """Register ``env_id`` here and as ``embodied/<env_id>-v0`` with Gymnasium; a
    ``"module:Class"`` entry point is imported only when the environment is made."""
    if env_id in _REGISTRY:
        raise ValueError(f"environment {env_id!r} is already registered")
    spec = EnvSpec(env_id, entry_point, dict(defaults), description)
    _REGISTRY[env_id] = spec
    gym.register(id=spec.gymnasium_id, entry_point=entry_point, kwargs=dict(defaults))
    return spec


def list_envs() -> list[str]:
    """The registered environment ids, sorted."""
    return sorted(_REGISTRY)


class UnknownEnvError(UsageError, KeyError):
    """An environment id that is not registered (a :class:`KeyError` and a user's mistake)."""

    __str__ = UsageError.__str__  # KeyError's would quote the message


def _spelling(env_id: str) -> str:
    return env_id.replace("_", "-")


def env_spec(env_id: str) -> EnvSpec:
    """The spec of ``env_id``, in either spelling (``cartpole-balance`` or
    ``cartpole_balance``); an unknown id raises an error listing the valid ones."""
    by_spelling = {_spelling(name): spec for name, spec in _REGISTRY.items()}
    spec = _REGISTRY.get(env_id) or by_spelling.get(_spelling(env_id))
    if spec is not None:
        return spec
    close = difflib.get_close_matches(_spelling(env_id), list(by_spelling), n=1, cutoff=0.6)
    hint = f" (did you mean {by_spelling[close[0]].env_id}?)" if close else ""
    raise UnknownEnvError(
        f"unknown environment {env_id!r}{hint}; registered: {', '.join(list_envs())}"
    )


def make(env_id: str, **overrides: Any) -> gym.Env:
    """Build ``env_id`` with its defaults updated by ``overrides``.

    An override the environment does not take raises an error naming it and the valid ones.
    """
    spec = env_spec(env_id)
    env_id = spec.env_id
    constructor = spec.constructor
    params = inspect.signature(constructor).parameters
    takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
    unknown = sorted(set(overrides) - set(params))
    if unknown and not takes_any:
        raise TypeError(
            f"environment {env_id!r} has no option(s) {', '.join(unknown)}; "
            f"valid: {', '.join(sorted(params))}"
        )
    return constructor(**{**spec.defaults, **overrides})
