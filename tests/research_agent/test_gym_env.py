"""The research task as a Gymnasium environment: registration, checker, edits and rewards."""

from __future__ import annotations

import gymnasium
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

from planning.domain import Parent
from research_agent.gym_env import ENV_ID, ResearchEnv
from research_agent.operators import ProgrammaticOperators
from research_agent.solutions.program import read_config
from research_agent.tasks import TaskFolder
from tests.research_agent.helpers import FAST


@pytest.fixture
def env(wine: TaskFolder, tmp_path):
    env = ResearchEnv(wine, max_steps=6, workdir=str(tmp_path), limits=FAST)
    yield env
    env.close()


def test_registered_env_passes_gymnasium_checker(wine: TaskFolder, tasks_dir):
    env = gymnasium.make(ENV_ID, task="wine", tasks_dir=str(tasks_dir), max_steps=4)
    assert isinstance(env.unwrapped, ResearchEnv)
    check_env(env.unwrapped, skip_render_check=False)
    env.close()


def test_text_commands_edit_the_workspace_without_running_it(env: ResearchEnv):
    obs, info = env.reset(seed=0)
    assert obs in env.observation_space and "CONFIG" in obs["workspace"]
    assert info["best_val_score"] == env.task.spec.baseline_score
    starter = info["code"]
    obs, reward, terminated, truncated, info = env.step("edit 1:0\n# first line")
    assert info["code"] == "# first line\n" + starter and reward == 0.0
    assert "   1 # first line" in obs["workspace"] and not (terminated or truncated)
    obs, *_ = env.step("edit 500:501\nx")
    assert "out of range" in obs["output"]
    obs, *_ = env.step("rm -rf /")
    assert "unknown command 'rm -rf /'" in obs["output"]
    obs, reward, terminated, truncated, info = env.step("write\nprint('hi')\n")
    assert info["code"] == "print('hi')\n" and reward == 0.0
    *_, truncated, _ = env.step("show")
    assert not truncated
    obs, reward, terminated, truncated, info = env.step("validate")  # step 6 of 6
    assert reward == 0.0 and "validation failed" in obs["output"] and truncated
    assert info["val_score"] is None


def test_programmatic_operators_drive_the_env_and_rewards_add_up(env: ResearchEnv):
    """The search policies' operators act through the env: improve edits, then validate."""
    obs, info = env.reset(seed=0)
    operators, rng = ProgrammaticOperators(edits=2), np.random.default_rng(3)
    baseline = env.task.spec.baseline_score
    total, scores = 0.0, []
    for step in range(2):
        payload = {"code": info["code"], "plan": ""}
        parent = Parent(id=step, payload=payload, score=None, is_buggy=False)
        candidate = operators.improve(env.task, parent, rng)
        *_, info = env.step("write\n" + candidate.code)
        assert read_config(info["code"]) == read_config(candidate.code)
        obs, reward, terminated, _, info = env.step("submit" if step else "validate")
        total += reward
        scores.append(info["val_score"])
        assert reward >= 0.0 and terminated == (step == 1)
    assert all(score is not None for score in scores), obs["output"]
    assert info["best_val_score"] == max([baseline, *scores])
    assert total == pytest.approx(info["best_val_score"] - baseline)


def test_bad_arguments_are_named(wine: TaskFolder):
    with pytest.raises(ValueError, match="max_steps"):
        ResearchEnv(wine, max_steps=0)
    with pytest.raises(ValueError, match="render_mode"):
        ResearchEnv(wine, render_mode="human")
    with pytest.raises(RuntimeError, match="reset"):
        ResearchEnv(wine).step("show")
