"""Build an env from the ``env`` section of a run config (the episode runner's and Ray's)."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
from omegaconf import DictConfig, OmegaConf

import embodied
from embodied.pixels import with_pixels
from runkit.config import EnvConfig


def build_env(cfg: EnvConfig | DictConfig, render: bool) -> gym.Env:
    """Build the env of an ``env`` config section (unset fields keep the env's defaults)."""
    options: dict[str, Any] = dict(OmegaConf.to_container(cfg.options, resolve=True))  # type: ignore[arg-type]
    for key in ("max_episode_steps", "frame_skip"):
        if cfg[key] is not None:
            options[key] = cfg[key]
    if render:
        options.update(render_mode="rgb_array", width=cfg.width, height=cfg.height)
    return with_pixels(embodied.make(cfg.id, **options), cfg.frame_stack, cfg.pixels)
