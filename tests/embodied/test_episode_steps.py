"""Per-step records (steps.jsonl) and the overlays drawn into episode videos."""

from __future__ import annotations

import json
import subprocess
import sys

import imageio.v2 as imageio
import numpy as np
import pytest

from embodied.agents.helper import HelperAgent
from embodied.agents.random_agent import RandomAgent
from embodied.envs.cartpole import CartPoleEnv
from embodied.envs.help_household import HelpHouseholdEnv
from embodied.runner import run_episode
from embodied.step_records import MAX_GOALS, MAX_TEXT, StepWriter, clean_explanation
from embodied.video_overlay import overlay_episode
from worldmodels.user_model.household import TASK_NAMES


def test_episode_with_the_helper_writes_steps_with_posterior_question_and_answer(tmp_path):
    out = tmp_path / "run"
    cmd = [sys.executable, "-m", "embodied.episode", "env=help_household", "agent=helper",
           "agent.llm=null", "env.max_episode_steps=40", "run.progress=false",
           f"hydra.run.dir={out}"]  # fmt: skip
    subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=300)
    steps = [json.loads(line) for line in (out / "steps.jsonl").read_text().splitlines()]
    metrics = json.loads((out / "metrics.json").read_text())
    assert [s["step"] for s in steps] == list(range(1, metrics["episodes"][0]["length"] + 1))
    assert {s["episode"] for s in steps} == {0} and metrics["video_fps"] == 10
    assert all(set(s["explain"]["posterior"]) == set(TASK_NAMES) for s in steps)
    assert all(abs(sum(s["explain"]["posterior"].values()) - 1) < 1e-2 for s in steps)
    asked = [s for s in steps if "question" in s["explain"]]
    assert len(asked) == 1 and asked[0]["explain"]["answer"]  # max_questions=1
    assert all(s["explain"]["plan"] for s in steps)
    assert steps[-1]["return"] == pytest.approx(sum(s["reward"] for s in steps))
    assert "robot_failed_actions" in steps[0]["measures"]
    frames = imageio.mimread(out / "videos" / "episode_000.mp4")
    assert len(frames) == len(steps) + 1 and frames[0].shape == (240, 320, 3)


def test_agents_without_explain_record_reward_and_measures_only():
    env = CartPoleEnv()
    result = run_episode(env, RandomAgent(env), seed=0, steps=True)
    assert len(result.steps) == result.length
    assert all(s["explain"] is None and isinstance(s["reward"], float) for s in result.steps)
    assert run_episode(env, RandomAgent(env), seed=0).steps == []  # off unless asked for


def test_overlay_frames_keep_their_size_and_differ_only_where_drawn():
    env = HelpHouseholdEnv(render_mode="rgb_array", max_episode_steps=25)
    agent = HelperAgent(env, num_particles=128)
    result = run_episode(env, agent, seed=0, record=True, steps=True)
    raw = result.frames
    drawn = overlay_episode(raw, result.steps)
    assert len(drawn) == len(raw)
    assert all(d.shape == r.shape and d.dtype == np.uint8 for d, r in zip(drawn, raw, strict=True))
    frame, overlay = raw[-1].astype(int), drawn[-1].astype(int)
    height, width = frame.shape[:2]
    changed = np.abs(frame - overlay).sum(axis=2) > 0
    assert changed[: height // 6, : width // 3].mean() > 0.15  # step, posterior (on black)
    assert changed[-height // 10 :, :].mean() > 0.1  # question, answer, plan (on black)
    assert changed[: height // 4, -width // 4 :].mean() > 0.5  # the zoom inset
    assert not changed[height // 2 : height // 2 + 10, : width // 2].any()  # the scene is left


def test_explanations_are_cleaned_and_bounded():
    hostile = {
        "posterior": {f"goal{i}": float("nan") if i == 0 else 0.5 for i in range(100)},
        "question": "<script>x</script>" * 1000,
        "answer": b"bytes",
        "plan": None,
        "secret": object(),
    }
    cleaned = clean_explanation(hostile)
    json.dumps(cleaned, allow_nan=False)
    assert len(cleaned["posterior"]) == MAX_GOALS - 1  # the NaN one is dropped
    assert len(cleaned["question"]) == MAX_TEXT and cleaned["answer"] == "b'bytes'"
    assert set(cleaned) == {"posterior", "question", "answer"}
    assert clean_explanation("not a dict") is None and clean_explanation({}) is None


def test_step_writer_stops_at_its_line_limit(tmp_path):
    writer = StepWriter(tmp_path / "steps.jsonl", max_lines=5)
    writer.write(0, [{"step": k} for k in range(1, 4)])
    writer.write(1, [{"step": k} for k in range(1, 4)])
    writer.write(2, [{"step": 1}])
    lines = [json.loads(line) for line in (tmp_path / "steps.jsonl").read_text().splitlines()]
    assert [(s["episode"], s["step"]) for s in lines] == [(0, 1), (0, 2), (0, 3), (1, 1), (1, 2)]
