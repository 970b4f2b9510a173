"""Checkpoints round-trip, and corrupt or mismatched ones fail with errors naming the problem."""

import hashlib
import json

import pytest
import torch

from worldmodels.checkpoint import (
    CheckpointError,
    latest_checkpoint,
    load_checkpoint,
    load_world_model,
    save_checkpoint,
)
from worldmodels.config import TrainerConfig, WorldModelConfig
from worldmodels.model import WorldModel
from worldmodels.trainer import WorldModelTrainer

SHAPES = {"proprio": (5,)}


def make(latent_dim: int = 16) -> WorldModel:
    cfg = WorldModelConfig(latent_dim=latent_dim, hidden_dim=16, encoder_dim=16)
    return WorldModel(cfg, SHAPES, 1)


@pytest.fixture
def saved(tmp_path):
    model = make()
    trainer = WorldModelTrainer(model, TrainerConfig(), torch.device("cpu"))
    path = save_checkpoint(tmp_path, 7, model, {"trainer": trainer.state_dict()})
    return path, model, trainer


def test_round_trip(saved, tmp_path):
    path, model, trainer = saved
    loaded, state, step = load_checkpoint(path)
    assert step == 7 and latest_checkpoint(tmp_path) == path
    for key, value in model.state_dict().items():
        assert torch.equal(loaded.state_dict()[key], value), key
    fresh = WorldModelTrainer(loaded, TrainerConfig(), torch.device("cpu"))
    fresh.load_state_dict(state["trainer"])
    assert torch.equal(fresh.generator.get_state(), trainer.generator.get_state())
    assert load_world_model(tmp_path).spec() == model.spec()


def test_keeps_only_the_newest(tmp_path):
    model = make()
    for step in (1, 2, 3):
        save_checkpoint(tmp_path, step, model, {}, keep=2)
    assert [p.name for p in sorted(tmp_path.iterdir())] == ["step_00000002", "step_00000003"]


def test_corrupt_weights_are_named(saved):
    path = saved[0]
    data = bytearray((path / "model.safetensors").read_bytes())
    data[-5] ^= 0xFF
    (path / "model.safetensors").write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match=r"model\.safetensors is corrupt"):
        load_checkpoint(path)


def test_truncated_metadata_is_named(saved):
    path = saved[0]
    text = (path / "checkpoint.json").read_text()
    (path / "checkpoint.json").write_text(text[: len(text) // 2])
    with pytest.raises(CheckpointError, match=r"checkpoint\.json is corrupt"):
        load_checkpoint(path)


def test_missing_file_is_named(saved):
    path = saved[0]
    (path / "train_state.safetensors").unlink()
    with pytest.raises(CheckpointError, match=r"lacks train_state\.safetensors"):
        load_checkpoint(path)


@pytest.mark.parametrize(
    ("make_path", "message"),
    [
        (lambda tmp: tmp / "missing", "missing does not exist"),
        (lambda tmp: tmp, "not a checkpoint: the folder has no checkpoint.json"),
        (lambda tmp: tmp / "file", "not a checkpoint: it is a file"),
    ],
    ids=["missing", "empty-folder", "file"],
)
def test_not_a_checkpoint_says_why(tmp_path, make_path, message):
    (tmp_path / "file").write_text("x")
    with pytest.raises(CheckpointError, match=message):
        load_checkpoint(make_path(tmp_path))


def test_mismatched_model_names_the_difference(saved):
    with pytest.raises(
        CheckpointError, match=r"config\.latent_dim: checkpoint has 16, expected 32"
    ):
        load_checkpoint(saved[0], make(latent_dim=32))


def test_foreign_safetensors_is_named(saved):
    path = saved[0]
    meta = json.loads((path / "checkpoint.json").read_text())
    (path / "model.safetensors").write_bytes(b"not safetensors")
    meta["sha256"]["model.safetensors"] = hashlib.sha256(b"not safetensors").hexdigest()
    (path / "checkpoint.json").write_text(json.dumps(meta))
    with pytest.raises(CheckpointError, match="not a readable safetensors file"):
        load_checkpoint(path)
