"""The MCTS helper: deterministic under a seed, really searching (simulations per decision),
explaining itself, at least as fast as the greedy helper on seeded episodes, and selectable as
``agent=mcts_helper`` in ``python -m embodied.episode``."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from embodied.agents.helper import HelperAgent
from embodied.agents.mcts_helper import MCTSHelperAgent
from embodied.envs.help_household import HelpHouseholdEnv
from embodied.runner import run_episode
from worldmodels.user_model.household import TASK_NAMES


def actions_of(agent: MCTSHelperAgent, env: HelpHouseholdEnv, seed: int) -> list[int]:
    obs, _ = env.reset(seed=seed)
    agent.reset(seed=seed)
    actions, done = [], False
    while not done:
        action = agent.act(obs)
        actions.append(int(action))
        obs, _, terminated, truncated, _ = env.step(action)
        done = terminated or truncated
    return actions


def test_same_seed_same_actions_and_every_decision_runs_the_search():
    env = HelpHouseholdEnv()
    first = actions_of(MCTSHelperAgent(env, simulations=12, num_particles=96), env, seed=3)
    agent = MCTSHelperAgent(env, simulations=12, num_particles=96)
    assert actions_of(agent, env, seed=3) == first
    assert env.unwrapped.world.state.satisfied(env.unwrapped.task)
    assert agent.decisions and all(d.simulations == 12 for d in agent.decisions)
    assert sum(v for v, _ in agent.decisions[0].root.values()) == 12  # visits of root actions


def test_explain_gives_posterior_question_answer_and_plan_as_json():
    env = HelpHouseholdEnv()
    agent = MCTSHelperAgent(env, simulations=16, num_particles=96)
    assert agent.explain() is None
    obs, _ = env.reset(seed=1)
    agent.reset(seed=1)
    asked = None
    for _ in range(60):
        obs, *_ = env.step(agent.act(obs))
        info = agent.explain()
        json.dumps(info)  # JSON-serialisable
        assert set(info) >= {"posterior", "question", "answer", "plan"}
        assert set(info["posterior"]) == set(TASK_NAMES)
        assert sum(info["posterior"].values()) == pytest.approx(1.0)
        if info["decided"]:
            assert info["plan"] and info["simulations"] == 16
        if info["question"] is not None:
            asked = info
    assert asked is not None, "a flat posterior at the start is worth a question"
    assert asked["answer"].startswith("I want to") and env.user.questions == [asked["question"]]


def test_the_question_waits_for_the_users_walk_instead_of_stopping_the_idle_user():
    # asked at the first step, the idle user stopped for the whole 3 s pause (the MCTS
    # helper's main loss against the oracle); deferred, the pause overlaps the user's walk
    env = HelpHouseholdEnv()
    agent = MCTSHelperAgent(env, simulations=24, num_particles=96)
    obs, _ = env.reset(seed=1000)
    agent.reset(seed=1000)
    walking_when_asked = None
    for _ in range(80):
        user_busy = env.world.activity["user"]
        obs, *_ = env.step(agent.act(obs))
        if env.user.questions and walking_when_asked is None:
            walking_when_asked = user_busy is not None and user_busy.action[0] == "walk"
            assert agent.explain()["question"] == env.user.questions[0]
    assert walking_when_asked is True


def test_rejects_baseline_modes():
    with pytest.raises(ValueError, match=r"agent\.mode='oracle'"):
        MCTSHelperAgent(HelpHouseholdEnv(), mode="oracle")


def test_beats_or_matches_the_greedy_helper_on_seeded_episodes():
    env = HelpHouseholdEnv()
    seeds = (1000, 1001, 1002)
    # the benchmark's settings: with 48 simulations the deferred question was too rarely
    # tried on these seeds (346 steps against the greedy helper's 340; 291 with 96)
    greedy = HelperAgent(env, num_particles=512)
    mcts = MCTSHelperAgent(env, simulations=96, num_particles=512)
    greedy_steps = [run_episode(env, greedy, seed=s).length for s in seeds]
    results = [run_episode(env, mcts, seed=s) for s in seeds]
    assert all(r.success for r in results)
    assert np.sum([r.length for r in results]) <= np.sum(greedy_steps)


def test_episode_entry_point_runs_agent_mcts_helper(tmp_path):
    out = tmp_path / "run"
    cmd = [sys.executable, "-m", "embodied.episode", "env=help_household", "agent=mcts_helper",
           "agent.llm=null", "agent.simulations=16", "agent.num_particles=128", "episodes=1",
           "record=false", "run.progress=false", f"hydra.run.dir={out}"]  # fmt: skip
    subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=300)
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["agent"] == "embodied.agents.mcts_helper.MCTSHelperAgent"
    assert metrics["success_rate"] == 1.0
