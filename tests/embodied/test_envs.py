import warnings

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import embodied
from embodied.envs.inverted_pendulum import GYMNASIUM_ASSETS
from embodied.mujoco_env import MujocoEnv

# the DeepMind Control ids have their own checks (tests/embodied/test_dmc.py)
SCENE_AND_CONTROL_IDS = [e for e in embodied.list_envs() if not e.startswith("dmc/")]


@pytest.mark.parametrize("env_id", SCENE_AND_CONTROL_IDS)
def test_gymnasium_env_checker_passes(env_id):
    env = gym.make(f"embodied/{env_id}-v0", render_mode="rgb_array")
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*infinity.*")
        check_env(env.unwrapped)
    env.reset(seed=0)
    frame = env.render()
    assert frame.shape == (240, 320, 3) and frame.std() > 5  # a real picture, not a blank
    env.close()


@pytest.mark.parametrize(
    ("env_id", "options", "error", "message"),
    [
        ("cartpole-nope", {}, KeyError, "registered: cartpole-balance, "),
        ("cartpole-balanse", {}, KeyError, r"\(did you mean cartpole-balance\?\)"),
        ("cartpole-balance", {"framskip": 3}, TypeError, "frame_skip"),
        ("cartpole-balance", {"task": "spin"}, ValueError, "balance, swingup"),
    ],
    ids=["unknown-id", "close-id", "unknown-option", "bad-value"],
)
def test_unknown_env_and_unknown_option_name_what_is_valid(env_id, options, error, message):
    with pytest.raises(error, match=message):
        embodied.make(env_id, **options)


def test_env_ids_are_accepted_in_either_spelling():
    assert embodied.env_spec("cartpole_balance").env_id == "cartpole-balance"
    assert embodied.env_spec("dmc/cartpole_swingup").env_id == "dmc/cartpole-swingup"


def test_vectorised_reward_matches_the_real_step():
    env = embodied.make("cartpole-swingup")
    env.reset(seed=0)
    for action in (-1.0, 0.3, 1.0):
        _, reward, *_ = env.step(np.array([action], dtype=np.float32))
        qpos, qvel = env.split_state(env.physics_state())
        again, _ = env.outcome_from_physics(qpos, qvel, np.array([action]))
        assert reward == pytest.approx(float(again))
    assert 0.0 <= reward <= 1.0


def test_the_pendulum_renders_what_gymnasiums_own_env_renders():
    import mujoco

    theirs = gym.make("InvertedPendulum-v5", render_mode="rgb_array", width=64, height=64,
                      reset_noise_scale=0.0)  # fmt: skip
    theirs.reset(seed=0)
    theirs.render()  # its camera looks at where the geoms are at its first render: at rest
    ours = embodied.make("inverted-pendulum", render_mode="rgb_array", width=64, height=64)
    ours.reset(seed=0)
    for _ in range(8):
        theirs.step(np.array([1.0], dtype=np.float32))
    ours.data.qpos[:], ours.data.qvel[:] = theirs.unwrapped.data.qpos, theirs.unwrapped.data.qvel
    mujoco.mj_forward(ours.model, ours.data)
    difference = np.abs(theirs.render().astype(int) - ours.render())
    assert difference.max() <= 2  # the same picture, to the renderer's rounding
    assert ours.camera_image(32, 32).shape == (32, 32, 3)
    with pytest.raises(ValueError, match="'zoom' is not one of MjvCamera's fields"):
        MujocoEnv(GYMNASIUM_ASSETS / "inverted_pendulum.xml", 2, 10, camera={"zoom": 2.0})
    theirs.close()
    ours.close()
