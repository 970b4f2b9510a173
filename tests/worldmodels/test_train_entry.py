"""``python -m worldmodels.train`` end to end, and resuming after an interruption or a kill."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from omegaconf import open_dict
from safetensors.torch import load_file

from tests.hydra_compose import compose_config
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
