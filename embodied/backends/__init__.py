"""Simulator backends compiled from one ``scenes.description.Scene``: MuJoCo, PyBullet, Habitat."""

from __future__ import annotations

import importlib

from embodied.backends.base import Backend
from scenes.description import Scene

BACKENDS = {
    "mujoco": "embodied.backends.mujoco_backend:MujocoBackend",
    "pybullet": "embodied.backends.pybullet_backend:PyBulletBackend",
    "habitat": "embodied.backends.habitat_backend:HabitatBackend",
}


def backend_class(name: str) -> type[Backend]:
    """The backend class ``name``; an unknown name lists the valid ones."""
    if name not in BACKENDS:
        raise ValueError(f"unknown backend {name!r}; valid: {', '.join(BACKENDS)}")
    module, cls = BACKENDS[name].split(":")
    return getattr(importlib.import_module(module), cls)


def make_backend(name: str, scene: Scene) -> Backend:
    """Compile ``scene`` into the backend ``name``."""
    return backend_class(name)(scene)


__all__ = ["BACKENDS", "Backend", "backend_class", "make_backend"]
