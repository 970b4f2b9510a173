"""End to end: ``python -m embodied.episode`` writes its run folder; MPC balances the pole."""

import json
import subprocess
import sys

import imageio.v2 as imageio
import numpy as np
import pytest
from hydra.utils import instantiate

from embodied.episode import build_env
from embodied.runner import run_episode
from tests.hydra_compose import compose_config


def test_episode_entry_point_writes_config_log_metrics_and_video(tmp_path):
    out = tmp_path / "run"
    cmd = [
        sys.executable, "-m", "embodied.episode",
        "env.max_episode_steps=30", "agent.planner.num_samples=16", "agent.planner.horizon=10",
        "run.progress=false", f"hydra.run.dir={out}",
    ]  # fmt: skip
    subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=300)
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["env"] == "cartpole-balance" and metrics["episodes"][0]["length"] == 30
    assert "horizon: 10" in (out / "config.yaml").read_text()
    assert "episode 0: return" in (out / "run.log").read_text()
    frames = imageio.mimread(out / "videos" / "episode_000.mp4")
    assert len(frames) == 31 and frames[0].shape == (240, 320, 3)


def _mean_reward(agent_option: str, overrides: list[str]) -> float:
    cfg = compose_config("episode", [f"agent={agent_option}", *overrides])
    env = build_env(cfg.env, render=False)
    agent = instantiate(cfg.agent, env=env)
    result = run_episode(env, agent, seed=0)
    return result.episode_return / result.length


@pytest.mark.parametrize("planner", ["mppi", "cem"])
def test_mpc_with_the_simulator_balances_where_random_fails(planner):
    steps = ["env.max_episode_steps=150"]
    small = [f"agent.planner.{s}" for s in ("horizon=40", "num_samples=32", "num_elites=4")]
    mpc = _mean_reward("mpc_sim", [*steps, *small, f"agent.planner_kind={planner}"])
    random = _mean_reward("random", steps)
    assert mpc > 0.9, mpc
    assert random < 0.6, random


@pytest.mark.slow
def test_mpc_swings_the_pole_up():
    overrides = ["env=cartpole_swingup", "env.max_episode_steps=300", "agent.planner.horizon=40",
                 "agent.planner.num_samples=256", "agent.planner.num_elites=32"]  # fmt: skip
    cfg = compose_config("episode", overrides)
    env = build_env(cfg.env, render=False)
    run_episode(env, instantiate(cfg.agent, env=env), seed=0)
    assert np.cos(env.unwrapped.data.qpos[1]) > 0.95  # upright at the end
