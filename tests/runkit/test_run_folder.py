import json
import logging

import numpy as np
import pytest
import torch
from omegaconf import OmegaConf

from runkit import RunConfig, progress_bar, resolve_device, seed_everything, start_run
from runkit.logs import console_handler


def test_start_run_writes_resolved_config_and_metrics(tmp_path):
    cfg = OmegaConf.create({"run": OmegaConf.structured(RunConfig(seed=7)), "x": "${run.seed}"})
    ctx = start_run(cfg, output_dir=tmp_path)
    assert ctx.seed == 7
    assert "x: 7" in (tmp_path / "config.yaml").read_text()
    ctx.write_metrics({"score": np.float32(1.5), "values": np.arange(3)})
    assert json.loads((tmp_path / "metrics.json").read_text()) == {
        "score": 1.5,
        "values": [0, 1, 2],
    }
    assert not list(tmp_path.glob(".*tmp"))


def test_seed_everything_makes_torch_and_numpy_repeatable():
    seed_everything(3)
    a = torch.rand(3), np.random.rand(3)
    seed_everything(3)
    b = torch.rand(3), np.random.rand(3)
    assert torch.equal(a[0], b[0]) and np.array_equal(a[1], b[1])


def test_resolve_device_errors_name_the_bad_value():
    assert resolve_device("cpu").type == "cpu"
    assert resolve_device("auto").type in ("cpu", "cuda")
    with pytest.raises(ValueError, match="'gpu0'"):
        resolve_device("gpu0")


def test_run_files_share_one_mode(tmp_path):
    """config.yaml and metrics.json (atomic writes) get the mode run.log (open()) gets."""
    cfg = OmegaConf.create({"run": OmegaConf.structured(RunConfig())})
    ctx = start_run(cfg, output_dir=tmp_path)
    ctx.write_metrics({"score": 1.0})
    (tmp_path / "run.log").write_text("log\n")
    modes = {p.name: p.stat().st_mode & 0o777 for p in tmp_path.iterdir()}
    assert len(set(modes.values())) == 1, modes


def test_progress_bar_shows_the_unit_it_counts(capsys):
    with progress_bar(3, "cartpole-balance", unit="steps") as bar:
        bar.advance(3)
    assert "3/3 steps" in capsys.readouterr().out


def test_log_lines_do_not_wrap_when_not_a_terminal(capsys):
    path = "outputs/episode/2026-01-01_00-00-00/" + "a" * 150 + "/metrics.json"
    logger = logging.getLogger("test_log_lines_do_not_wrap")
    logger.addHandler(console_handler())
    logger.propagate = False
    logger.warning("metrics written to %s", path)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1 and lines[0].endswith(path)
