"""The DeepMind Control Suite behind the project's API: Gymnasium's checker, pixels, seeding,
action repeat and step counting as TD-MPC2 counts them, and the hydra env options."""

import json
import subprocess
import sys

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import embodied
from embodied.envs.dmc import DMC_TASKS, DMCEnv
from embodied.pixels import with_pixels

DMC_IDS = [f"dmc/{task}" for task in DMC_TASKS]


@pytest.mark.parametrize("env_id", DMC_IDS)
def test_gymnasium_env_checker_passes(env_id):
    env = embodied.make(env_id)
    check_env(env, skip_render_check=True)
    obs, _ = env.reset(seed=0)
    assert obs["proprio"].dtype == np.float32 and obs["proprio"].ndim == 1
    assert env.action_space.low.min() == -1.0 and env.action_space.high.max() == 1.0
    env.close()


def test_required_tasks_are_registered_and_reachable_through_gymnasium():
    for task in ("cartpole-swingup", "cartpole-balance", "reacher-easy", "cup-catch",
                 "walker-walk", "cheetah-run"):  # fmt: skip
        assert f"dmc/{task}" in embodied.list_envs()
    env = gym.make("embodied/dmc-cup-catch-v0")
    assert env.reset(seed=0)[0]["proprio"].shape == (8,)


def test_unknown_task_names_the_valid_ones():
    with pytest.raises(ValueError, match="cartpole-swingup"):
        DMCEnv("cartpole-swingdown")


def _rollout(env: gym.Env, seed: int, steps: int) -> tuple[np.ndarray, list[float]]:
    obs, _ = env.reset(seed=seed)
    env.action_space.seed(seed)
    observations, rewards = [obs["proprio"]], []
    for _ in range(steps):
        obs, reward, *_ = env.step(env.action_space.sample())
        observations.append(obs["proprio"])
        rewards.append(float(reward))
    return np.stack(observations), rewards


def test_same_seed_same_episode_other_seed_other_start():
    env = embodied.make("dmc/reacher-easy")
    first, rewards = _rollout(env, 3, 20)
    again, rewards_again = _rollout(env, 3, 20)
    other, _ = _rollout(env, 4, 20)
    np.testing.assert_array_equal(first, again)
    assert rewards == rewards_again
    assert not np.allclose(first[0], other[0])


def test_pixels_are_64_by_64_rgb_and_stack():
    env = with_pixels(embodied.make("dmc/cartpole-swingup"), frames=3, size=64)
    obs, _ = env.reset(seed=0)
    assert obs["rgb"].shape == (64, 64, 9) and obs["rgb"].dtype == np.uint8
    obs, *_ = env.step(env.action_space.sample())
    assert obs["rgb"].shape == (64, 64, 9) and obs["rgb"].std() > 0


def test_an_episode_is_500_agent_steps_and_1000_env_steps_at_action_repeat_2():
    env = embodied.make("dmc/cartpole-balance")
    env.reset(seed=0)
    steps, truncated, info = 0, False, {}
    while not truncated:
        _, _, terminated, truncated, info = env.step(np.zeros(1, np.float32))
        assert not terminated
        steps += 1
    assert steps == 500 and info["env_steps"] == 1000


def test_action_repeat_sums_the_rewards_of_the_repeated_steps():
    once, twice = (embodied.make("dmc/cartpole-balance", action_repeat=r) for r in (1, 2))
    once.reset(seed=5)
    twice.reset(seed=5)
    action = np.array([0.3], np.float32)
    summed = sum(float(once.step(action)[1]) for _ in range(2))
    obs_once = once.step(action)[0]  # third simulator step of `once` ...
    reward_twice = float(twice.step(action)[1])
    assert reward_twice == pytest.approx(summed)
    assert not np.allclose(obs_once["proprio"], twice.step(action)[0]["proprio"])  # ... 4th


def test_episode_entry_point_runs_a_dmc_env_from_its_config_option(tmp_path):
    cmd = [
        sys.executable, "-m", "embodied.episode", "env=dmc_cartpole_swingup", "agent=random",
        "env.max_episode_steps=10", "record_episodes=0", "run.progress=false",
        f"hydra.run.dir={tmp_path}",
    ]  # fmt: skip
    subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=300)
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["env"] == "dmc/cartpole-swingup" and metrics["episodes"][0]["length"] == 10
