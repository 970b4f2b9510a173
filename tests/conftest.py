"""Shared test setup: headless rendering and hydra composition helpers."""

from __future__ import annotations

import os

os.environ.setdefault("MUJOCO_GL", "egl")
