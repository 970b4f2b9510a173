"""The helper robot: it asks when unsure, not when sure, says what the dialogue game chose, and
helps (faster than the user alone, never less successful); ``python -m embodied.episode``."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from hydra.errors import ConfigCompositionException

import embodied.config  # noqa: F401  (registers the schemas)
from embodied.agents.helper import HelperAgent, HelperConfig
from embodied.envs.help_household import HelpHouseholdEnv
from embodied.runner import run_episode
from tests.hydra_compose import compose_config
from worldmodels.user_model.helping import place_answer
from worldmodels.user_model.household import TASK_NAMES, TASKS


def test_episode_entry_point_runs_the_helper_and_saves_its_memory(tmp_path):
    out = tmp_path / "run"
    cmd = [sys.executable, "-m", "embodied.episode", "env=help_household", "agent=helper",
           "agent.llm=null", "episodes=2", "record_episodes=1", "run.progress=false",
           f"hydra.run.dir={out}"]  # fmt: skip
    subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=300)
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["env"] == "help-household" and metrics["success_rate"] == 1.0
    assert (out / "videos" / "episode_000.mp4").stat().st_size > 0
    memory = json.loads((out / "episodic_memory.json").read_text())
    assert {s["observer"] for s in memory["sightings"]} == {"robot", "user"}


def test_helper_asks_when_the_posterior_is_flat_and_says_the_games_choice():
    env = HelpHouseholdEnv()
    agent = HelperAgent(env, HelperConfig(num_particles=128))
    obs, _ = env.reset(seed=2)
    agent.reset(seed=2)
    agent.act(obs)  # first decision: a flat posterior
    assert agent.questions == 1 and len(env.user.questions) == 1
    chosen = agent.game.last_choice.text
    best = int(np.argmax(agent.game.last_policy))
    assert agent.game.last_candidates[best].text == chosen
    assert env.user.questions[0] == chosen  # what the solved game chose is what was said
    assert agent.model.most_likely_goal() == env.task.name
    assert agent.model.goal_posterior()[env.task.name] > 0.9


def test_helper_reads_an_answer_that_names_only_the_place_into_its_posterior():
    """A terse answer ("It all goes on the shelf.") leaves the two tasks with that target; the
    helper used to read it as nothing."""
    env = HelpHouseholdEnv()
    env.user.answer = lambda question, rng: place_answer(env.task.target)
    agent = HelperAgent(env, HelperConfig(num_particles=128))
    obs, _ = env.reset(seed=2)
    agent.reset(seed=2)
    agent.act(obs)
    assert agent.questions == 1 and agent.log[0]["reply"] == "place"
    posterior = agent.model.goal_posterior()
    same_target = [t.name for t in TASKS if t.target == env.task.target]
    assert sum(posterior[name] for name in same_target) > 0.9


def test_helper_does_not_ask_when_the_posterior_is_sharp():
    env = HelpHouseholdEnv()
    agent = HelperAgent(env, HelperConfig(num_particles=128, max_questions=5))
    obs, _ = env.reset(seed=2)
    agent.reset(seed=2)
    agent._perceive(obs)
    agent.model.observe_answer(env.task.name, 0.01)  # as sure as an answer makes it
    world = agent.recognizer.world
    assert not agent._should_ask(world, agent.goal_probs(), {})
    flat = np.full(len(TASK_NAMES), 1 / len(TASK_NAMES))
    assert agent._should_ask(world, flat, {})


def test_helping_is_faster_than_the_user_alone_and_never_less_successful():
    env = HelpHouseholdEnv()
    lengths, successes = {}, {}
    for mode in ("none", "infer"):
        agent = HelperAgent(env, HelperConfig(mode=mode, num_particles=128))
        runs = [run_episode(env, agent, seed=seed) for seed in range(6)]
        lengths[mode] = np.mean([r.length for r in runs])
        successes[mode] = np.mean([r.success for r in runs])
    assert lengths["infer"] < 0.85 * lengths["none"], lengths
    assert successes["infer"] >= successes["none"]


def test_helper_config_composes_with_the_embedded_llm_and_names_a_bad_key():
    cfg = compose_config("episode", ["env=help_household", "agent=helper"])
    assert cfg.agent.llm._target_ == "worldmodels.language.embedded.EmbeddedModel"
    assert cfg.agent.mode == "infer" and cfg.env.id == "help-household"
    with pytest.raises(ConfigCompositionException) as info:
        compose_config("episode", ["env=help_household", "agent=helper", "agent.confidnce=0.5"])
    assert "confidnce" in str(info.value) + str(info.value.__cause__)
