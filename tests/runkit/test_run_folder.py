import json

import numpy as np
import pytest
import torch
from omegaconf import OmegaConf

from runkit import RunConfig, resolve_device, seed_everything, start_run


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
