import warnings

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import embodied


@pytest.mark.parametrize("env_id", embodied.list_envs())
def test_gymnasium_env_checker_passes(env_id):
    env = gym.make(f"embodied/{env_id}-v0", render_mode="rgb_array")
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*infinity.*")
        check_env(env.unwrapped)
    env.reset(seed=0)
    frame = env.render()
    assert frame.shape == (240, 320, 3) and frame.std() > 5  # a real picture, not a blank
    env.close()


def test_unknown_env_and_unknown_option_name_what_is_valid():
    with pytest.raises(KeyError, match="cartpole-balance"):
        embodied.make("cartpole-nope")
    with pytest.raises(TypeError, match="frame_skip"):
        embodied.make("cartpole-balance", framskip=3)
    with pytest.raises(ValueError, match="balance, swingup"):
        embodied.make("cartpole-balance", task="spin")


def test_vectorised_reward_matches_the_real_step():
    env = embodied.make("cartpole-swingup")
    env.reset(seed=0)
    for action in (-1.0, 0.3, 1.0):
        _, reward, *_ = env.step(np.array([action], dtype=np.float32))
        qpos, qvel = env.split_state(env.physics_state())
        again, _ = env.outcome_from_physics(qpos, qvel, np.array([action]))
        assert reward == pytest.approx(float(again))
    assert 0.0 <= reward <= 1.0
