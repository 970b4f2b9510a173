"""``python -m worldmodels.train`` end to end, and resuming after an interruption or a kill."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import imageio.v2 as imageio
import numpy as np
import pytest
import torch
from hydra.utils import instantiate
from omegaconf import open_dict
from safetensors.torch import load_file
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

import embodied
from embodied.agents.world_model_mpc import WorldModelMPCAgent
from embodied.data import AgentEvaluation
from tests.hydra_compose import compose_config
from worldmodels.checkpoint import checkpoint_env
from worldmodels.train import run

REPO = Path(__file__).resolve().parents[2]
SMALL = [
    "worldmodel=tiny",
    "data.num_episodes=12",
    "data.steps=60",
    "trainer.batch_size=32",
    "run.progress=false",
    "tensorboard=false",
    "eval.plot=false",
    "cpu_threads=1",
    "checkpoint_every=10",
    "eval.agent_every=0",
]
# the world-model agent's planner, small, for closed-loop evaluations in tests
SMALL_AGENT = [
    "+agent_eval.agent.planner.num_samples=32",
    "+agent_eval.agent.planner.iterations=1",
    "+agent_eval.agent.planner.num_elites=4",
    "+agent_eval.agent.planner.num_policy_samples=4",
]


def _command(out: Path, steps: int, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "worldmodels.train",
        *SMALL,
        f"steps={steps}",
        f"hydra.run.dir={out}",
        *extra,
    ]


def _tensors(checkpoint: Path) -> dict[str, torch.Tensor]:
    return {
        **load_file(checkpoint / "model.safetensors"),
        **load_file(checkpoint / "train_state.safetensors"),
    }


def _assert_same(a: Path, b: Path) -> None:
    ta, tb = _tensors(a), _tensors(b)
    assert ta.keys() == tb.keys()
    for key in ta:
        assert torch.equal(ta[key], tb[key]), key


def test_entry_point_writes_metrics_plots_and_checkpoint(tmp_path):
    out = tmp_path / "run"
    cmd = _command(out, 20, "tensorboard=true", "eval.plot=true")
    subprocess.run(cmd, cwd=REPO, check=True, capture_output=True, timeout=120)
    metrics = (out / "metrics.json").read_text()
    assert '"open_loop_mse"' in metrics and '"copy_last"' in metrics and '"linear"' in metrics
    assert (out / "plots" / "proprio_trajectories.png").stat().st_size > 0
    assert (out / "plots" / "reward_trajectories.png").stat().st_size > 0
    assert (out / "checkpoints" / "step_00000020" / "model.safetensors").is_file()
    assert (out / "checkpoints" / "step_00000020" / "checkpoint.json").is_file()
    assert any((out / "tensorboard").iterdir())


def _run(out: Path, steps: int) -> None:
    cfg = compose_config("train_worldmodel", [*SMALL, f"steps={steps}"])
    with open_dict(cfg):
        del cfg["hydra"]
    run(cfg, str(out))


def test_resume_reaches_the_same_weights(tmp_path):
    _run(tmp_path / "once", 20)
    _run(tmp_path / "twice", 10)
    assert (tmp_path / "twice" / "checkpoints" / "step_00000010").is_dir()
    _run(tmp_path / "twice", 20)
    _assert_same(
        tmp_path / "once" / "checkpoints" / "step_00000020",
        tmp_path / "twice" / "checkpoints" / "step_00000020",
    )


def test_resume_after_kill_reaches_the_same_weights(tmp_path):
    killed = tmp_path / "killed"
    proc = subprocess.Popen(
        _command(killed, 100_000), cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 60
    try:
        while not (killed / "checkpoints" / "step_00000020").is_dir():
            assert proc.poll() is None and time.monotonic() < deadline, "no checkpoint written"
            time.sleep(0.05)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    subprocess.run(_command(killed, 30), cwd=REPO, check=True, capture_output=True, timeout=120)
    _run(tmp_path / "once", 30)
    _assert_same(
        tmp_path / "once" / "checkpoints" / "step_00000030",
        killed / "checkpoints" / "step_00000030",
    )


@pytest.mark.parametrize(
    "override, key",
    [
        ("worldmodel.latnt_dim=3", "latnt_dim"),
        ("trainer.horizon=two", "horizon"),
        ("data.num_episods=3", "num_episods"),
    ],
)
def test_bad_override_is_named(override, key):
    from hydra.errors import ConfigCompositionException

    with pytest.raises(ConfigCompositionException) as info:
        compose_config("train_worldmodel", [override])
    text = str(info.value) + str(info.value.__cause__)
    assert key in text


def test_pixel_env_settings_are_refused_with_where_they_apply(tmp_path):
    cfg = compose_config("train_worldmodel", [*SMALL, "steps=1", "env.pixels=64"])
    with pytest.raises(ValueError, match=r"env\.pixels and env\.frame_stack apply to the episode"):
        run(cfg, str(tmp_path))
    assert not (tmp_path / "metrics.json").exists()


def test_training_evaluates_the_agent_as_it_goes_with_return_and_video(tmp_path):
    out = tmp_path / "run"
    cmd = _command(out, 20, "eval.agent_every=10", "env.max_episode_steps=15",
                   "agent_eval.video_steps=5", "tensorboard=true", *SMALL_AGENT)  # fmt: skip
    subprocess.run(cmd, cwd=REPO, check=True, capture_output=True, timeout=300)
    history = json.loads((out / "agent_eval.json").read_text())
    assert [h["step"] for h in history] == [10, 20]
    assert all(h["lengths"] == [15] and np.isfinite(h["return"]) for h in history)
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["agent_eval"] == history
    frames = imageio.mimread(out / "videos" / "eval_step_0000020.mp4")
    assert len(frames) == 6 and frames[0].shape == (120, 160, 3)
    events = EventAccumulator(str(out / "tensorboard")).Reload()
    assert [e.step for e in events.Scalars("eval/return")] == [10, 20]
    assert "step 20: agent return" in (out / "run.log").read_text()


def test_training_keeps_the_checkpoint_of_the_best_evaluation(tmp_path):
    out = tmp_path / "run"
    cmd = _command(out, 30, "eval.agent_every=10", "env.max_episode_steps=15",
                   "keep_checkpoints=5", "checkpoint_every=1000", *SMALL_AGENT)  # fmt: skip
    subprocess.run(cmd, cwd=REPO, check=True, capture_output=True, timeout=300)
    history = json.loads((out / "agent_eval.json").read_text())
    best = max(history, key=lambda h: h["return"])
    assert history[0]["best"] and [h["step"] for h in history if h is best] == [best["step"]]
    assert best["best"] and all(h["return"] < best["return"] for h in history if h is not best)
    name = f"step_{best['step']:08d}"
    assert [p.name for p in (out / "checkpoints" / "best").iterdir()] == [name]
    kept = load_file(out / "checkpoints" / "best" / name / "model.safetensors")
    trained = load_file(out / "checkpoints" / name / "model.safetensors")
    assert kept.keys() == trained.keys() and all(torch.equal(kept[k], trained[k]) for k in kept)
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["best_checkpoint"]["step"] == best["step"]
    assert metrics["best_checkpoint"]["path"] == str(out / "checkpoints" / "best" / name)
    # the agent plans in it as in any checkpoint, given the folder
    evaluation = AgentEvaluation("cartpole-balance", steps=5, agent={"planner": {"iterations": 1}})
    assert np.isfinite(evaluation.evaluate(out / "checkpoints" / "best")["return"])


def test_agent_data_source_mixes_noisy_agent_and_random_episodes(tmp_path):
    cfg = compose_config("train_worldmodel", ["data=agent", "data.num_episodes=4",
                                              "data.steps=12", "data.agent.planner.horizon=5",
                                              "data.agent.planner.num_samples=8"])  # fmt: skip
    source = instantiate(cfg.data)
    assert [source.is_random(i) for i in range(4)] == [False, False, False, True]
    episodes = list(source.episodes(0))
    assert len(episodes) == 4 and all(len(e["action"]) == 12 for e in episodes)
    assert all(e["proprio"].shape == (13, 5) and e["proprio"].dtype == np.float32 for e in episodes)
    again = list(source.episodes(0))
    np.testing.assert_array_equal(episodes[0]["action"], again[0]["action"])


def test_checkpoint_for_another_env_is_refused_naming_both_envs(tmp_path):
    _run(tmp_path / "run", 10)
    assert checkpoint_env(tmp_path / "run" / "checkpoints") == "cartpole-balance"
    env = embodied.make("dmc/reacher-easy")
    with pytest.raises(ValueError) as info:
        WorldModelMPCAgent(env, checkpoint=str(tmp_path / "run" / "checkpoints"), learn=False,
                           env_id="dmc/reacher-easy")  # fmt: skip
    message = str(info.value)
    assert "trained on env cartpole-balance" in message
    assert "given env dmc/reacher-easy" in message and "\n" not in message


def test_training_on_the_logged_returns_runs_and_a_bad_value_target_is_named(tmp_path):
    cfg = compose_config("train_worldmodel", [*SMALL, "steps=10", "trainer.value_target=return"])
    with open_dict(cfg):
        del cfg["hydra"]
    metrics = run(cfg, str(tmp_path / "run"))
    assert np.isfinite(metrics["final_losses"]["value"])
    out = tmp_path / "bad"
    done = subprocess.run(_command(out, 10, "trainer.value_target=mc"), cwd=REPO,
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert "trainer.value_target='mc': no such target; valid: td, return, mixed" in done.stderr
    assert not out.exists()
