"""Pixel observations: camera images as the only observation, stacked frames, and wm_mpc on them."""

import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env
from hydra.utils import instantiate

from embodied import make
from embodied.episode import build_env
from embodied.pixels import PixelObservation
from embodied.runner import run_episode
from tests.embodied.helpers import SMALL
from tests.hydra_compose import compose_config


def test_the_stack_holds_the_last_camera_images_oldest_first():
    env = PixelObservation(make("inverted-pendulum"), frames=3, size=16)
    assert env.observation_space["rgb"].shape == (16, 16, 9)
    assert list(env.observation_space.spaces) == ["rgb"]
    obs, _ = env.reset(seed=0)
    first = obs["rgb"][..., :3]
    assert np.array_equal(obs["rgb"], np.concatenate([first] * 3, axis=-1))
    frames = [first]
    for _ in range(4):
        obs, *_ = env.step(np.array([3.0], dtype=np.float32))
        frames.append(env.unwrapped.camera_image(16, 16))
        assert np.array_equal(obs["rgb"], np.concatenate(([frames[0]] * 3 + frames)[-3:], -1))
    assert not np.array_equal(frames[-1], frames[0]), "the pole moved: the newest frame differs"
    obs, _ = env.reset(seed=1)  # a reset starts a new stack
    assert np.array_equal(obs["rgb"][..., :3], obs["rgb"][..., 6:])
    env.close()


@pytest.mark.filterwarnings("ignore:.*different from the unwrapped version")
def test_the_pixel_env_passes_gymnasiums_checker():
    env = PixelObservation(make("cartpole-balance"), frames=2, size=24)
    check_env(env, skip_render_check=True)
    env.close()


def test_stacking_a_scene_envs_own_rgb_keeps_its_other_modalities():
    env = PixelObservation(
        make("reach", modalities=["proprio", "rgb"], image_width=16, image_height=12), frames=2
    )
    assert env.observation_space["rgb"].shape == (12, 16, 6)
    obs, _ = env.reset(seed=0)
    assert set(obs) == {"proprio", "rgb"} and obs["rgb"].shape == (12, 16, 6)
    assert env.observation_space.contains(obs)
    env.close()


def test_bad_pixel_settings_name_the_problem():
    with pytest.raises(ValueError, match="frames must be >= 1, got 0"):
        PixelObservation(make("inverted-pendulum"), frames=0, size=16)
    with pytest.raises(ValueError, match=r"needs an rgb observation.*\['proprio'\]"):
        PixelObservation(make("inverted-pendulum"), frames=3)
    with pytest.raises(ValueError, match="pixel size must be >= 8, got 4"):
        PixelObservation(make("inverted-pendulum"), size=4)


@pytest.mark.usefixtures("one_torch_thread")
def test_wm_mpc_learns_from_stacked_pixels_through_the_episode_config():
    cfg = compose_config(
        "episode",
        [
            "agent=wm_mpc",
            *SMALL,
            "env=cartpole_balance",
            "env.pixels=16",
            "env.frame_stack=2",
            "agent.worldmodel.modalities=[rgb]",
            "agent.seed_steps=20",
        ],
    )
    env = build_env(cfg.env, render=False)
    assert list(env.observation_space.spaces) == ["rgb"]
    agent = instantiate(cfg.agent, env=env)
    assert agent.model.encoder.obs_shapes == {"rgb": (16, 16, 6)}
    result = run_episode(env, agent, seed=0)
    assert result.length == 25 and agent.updates == 20 + 5
    assert env.action_space.contains(agent.act(env.reset(seed=1)[0]))
    env.close()
