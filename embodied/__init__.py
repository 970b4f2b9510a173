"""Embodied agents in physics simulation behind Gymnasium's API.

Importing the package registers the environments by ``"module:Class"``: their modules (and
torch, the simulators) are imported when an environment is made, not here, so an entry point
checks its command line without them.
"""

import embodied._gl  # noqa: F401  (sets MUJOCO_GL before mujoco is imported)
from embodied.envs.dmc import DMC_TASKS  # (dm_control itself is imported when a task is made)
from embodied.registry import env_spec, list_envs, make, register_env

register_env(
    "cartpole-balance",
    "embodied.envs.cartpole:CartPoleEnv",
    description="MuJoCo cart-pole starting upright; keep the pole up (fast control task).",
    task="balance",
)
register_env(
    "cartpole-swingup",
    "embodied.envs.cartpole:CartPoleEnv",
    description="MuJoCo cart-pole starting hanging down; swing it up and balance it.",
    task="swingup",
)
register_env(
    "inverted-pendulum",
    "embodied.envs.inverted_pendulum:InvertedPendulumEnv",
    description="Gymnasium's InvertedPendulum-v5 model and task (+1 while upright) on this API.",
)

register_env(
    "help-household",
    "embodied.envs.help_household:HelpHouseholdEnv",
    description="a robot helps a simulated user with a hidden task and its own beliefs "
    "in the household scene (symbolic commands; questions through env.ask)",
)
register_env(
    "crowd",
    "embodied.envs.crowd:CrowdEnv",
    description="a mobile base crosses a hall among avatars moved by a mean-field population model",
)

for _dmc_task in DMC_TASKS:
    register_env(
        f"dmc/{_dmc_task}",
        "embodied.envs.dmc:DMCEnv",
        description=f"DeepMind Control Suite {_dmc_task}, action repeat 2 (as TD-MPC2)",
        task=_dmc_task,
    )

SCENE_TASKS = {
    "reach": "a fixed 3-DoF arm touches a goal point with its fingertip",
    "navigate": "a mobile base drives to a goal disc in a room with obstacles",
    "household": "a mobile manipulator picks up the object a text instruction names and puts it "
    "at the named place, beside a walking user avatar with a wearable camera",
}
for _task, _description in SCENE_TASKS.items():
    for _backend in ("mujoco", "pybullet"):
        register_env(
            _task if _backend == "mujoco" else f"{_task}-{_backend}",
            "embodied.envs.scene_env:SceneEnv",
            description=f"{_backend}: {_description}",
            task=_task,
            backend=_backend,
        )

__all__ = ["env_spec", "list_envs", "make", "register_env"]
