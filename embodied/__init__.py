"""Embodied agents in physics simulation behind Gymnasium's API."""

import embodied._gl  # noqa: F401  (sets MUJOCO_GL before mujoco is imported)
from embodied.envs.cartpole import CartPoleEnv
from embodied.registry import env_spec, list_envs, make, register_env

register_env(
    "cartpole-balance",
    CartPoleEnv,
    description="MuJoCo cart-pole starting upright; keep the pole up (fast control task).",
    task="balance",
)
register_env(
    "cartpole-swingup",
    CartPoleEnv,
    description="MuJoCo cart-pole starting hanging down; swing it up and balance it.",
    task="swingup",
)

__all__ = ["env_spec", "list_envs", "make", "register_env"]
