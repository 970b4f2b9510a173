"""The scripted expert solves the scene tasks that random actions do not."""

import pytest
from hydra.errors import InstantiationException
from hydra.utils import instantiate

from embodied.episode import build_env
from embodied.runner import run_episode
from tests.hydra_compose import compose_config


def _success_rate(env_option: str, agent_option: str, episodes: int) -> float:
    cfg = compose_config("episode", [f"env={env_option}", f"agent={agent_option}"])
    env = build_env(cfg.env, render=False)
    agent = instantiate(cfg.agent, env=env)
    results = [run_episode(env, agent, seed=seed) for seed in range(episodes)]
    return sum(bool(r.success) for r in results) / episodes


@pytest.mark.parametrize("env_option", ["reach", "reach_pybullet", "navigate"])
def test_scripted_expert_succeeds_where_random_fails(env_option):
    assert _success_rate(env_option, "scripted", 3) == 1.0
    assert _success_rate(env_option, "random", 2) == 0.0


def test_scripted_agent_refuses_envs_without_a_script():
    cfg = compose_config("episode", ["env=cartpole_balance", "agent=scripted"])
    with pytest.raises(InstantiationException, match="reach, navigate, household"):
        instantiate(cfg.agent, env=build_env(cfg.env, render=False))
