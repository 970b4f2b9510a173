"""Training on a fixed cartpole dataset: losses fall and the model beats copy-last."""

import numpy as np
import pytest
import torch

from worldmodels.config import TrainerConfig, WorldModelConfig
from worldmodels.data import Batch, WindowSampler
from worldmodels.encoders import random_shift
from worldmodels.evaluation import open_loop_errors
from worldmodels.model import WorldModel
from worldmodels.trainer import WorldModelTrainer

STEPS = 300


@pytest.fixture(scope="module")
def trained(cartpole):
    torch.set_num_threads(1)
    torch.manual_seed(0)
    train, heldout = cartpole.split(0.2)
    cfg = WorldModelConfig(latent_dim=64, hidden_dim=64, encoder_dim=64)
    model = WorldModel(cfg, cartpole.obs_shapes, cartpole.action_dim)
    model.fit_normalizers(train.obs)
    trainer = WorldModelTrainer(model, TrainerConfig(batch_size=64), torch.device("cpu"))
    sampler = WindowSampler(train, horizon=3, seed=1)
    history = [trainer.update(sampler.sample(64)) for _ in range(STEPS)]
    return model, train, heldout, history


def _mean(history, key):
    return sum(float(h[key]) for h in history) / len(history)


@pytest.mark.parametrize("term", ["total", "consistency", "reward", "decoder"])
def test_loss_decreases(trained, term):
    history = trained[3]
    assert _mean(history[-20:], term) < 0.5 * _mean(history[:20], term)


def test_beats_copy_last_on_heldout(trained):
    model, train, heldout, _ = trained
    errors = open_loop_errors(model, train, heldout, [1, 5, 10])["proprio"]
    for h in ("h5", "h10"):
        assert errors[h]["model"] < errors[h]["copy_last"], errors


def test_modality_dropout_masks_during_training(cartpole):
    data = {"proprio": cartpole.obs["proprio"], "proprio2": cartpole.obs["proprio"]}
    cfg = WorldModelConfig(modalities=list(data), latent_dim=16, hidden_dim=16, encoder_dim=16)
    model = WorldModel(cfg, {k: (5,) for k in data}, 1)
    trainer = WorldModelTrainer(
        model, TrainerConfig(batch_size=8, modality_dropout=0.5), torch.device("cpu")
    )
    mask = trainer._modality_mask(64)
    keep = torch.stack(list(mask.values()), 1)
    assert keep.any(1).all() and not keep.all()


def test_update_with_images_and_ensemble():
    shapes = {"proprio": (5,), "rgb": (24, 24, 3), "depth": (24, 24)}
    cfg = WorldModelConfig(
        modalities=list(shapes),
        latent_dim=16,
        hidden_dim=16,
        encoder_dim=16,
        cnn_channels=4,
        num_dynamics=2,
    )
    model = WorldModel(cfg, shapes, 1)
    trainer = WorldModelTrainer(
        model, TrainerConfig(batch_size=4, modality_dropout=0.3), torch.device("cpu")
    )
    batch = Batch(
        {
            "proprio": torch.randn(4, 4, 5),
            "rgb": torch.randint(0, 255, (4, 4, 24, 24, 3), dtype=torch.uint8),
            "depth": torch.rand(4, 4, 24, 24),
        },
        torch.rand(3, 4, 1) * 2 - 1,
        torch.rand(3, 4),
        torch.zeros(3, 4, dtype=torch.bool),
    )
    terms = trainer.update(batch)
    assert all(torch.isfinite(v) for v in terms.values()) and "decoder" in terms


def test_random_shift_translates_each_image_with_repeated_borders():
    images = torch.randint(0, 255, (64, 10, 12, 3), dtype=torch.uint8)
    shifted = random_shift(images, 2, torch.Generator().manual_seed(0))
    assert shifted.shape == images.shape and shifted.dtype == images.dtype
    padded = np.pad(images.numpy(), ((0, 0), (2, 2), (2, 2), (0, 0)), mode="edge")
    offsets = set()
    for n in range(images.shape[0]):
        found = [
            (dy, dx)
            for dy in range(5)
            for dx in range(5)
            if np.array_equal(shifted[n].numpy(), padded[n, dy : dy + 10, dx : dx + 12])
        ]
        assert found, f"image {n} is not a translation of at most 2 pixels"
        offsets.update(found)
    assert len(offsets) > 10  # each image draws its own offset
    assert random_shift(images, 0) is images


def test_training_views_shift_images_only():
    shapes = {"proprio": (5,), "rgb": (16, 16, 3)}
    cfg = WorldModelConfig(
        modalities=list(shapes), latent_dim=16, hidden_dim=16, encoder_dim=16, cnn_channels=4
    )
    obs = {
        "proprio": torch.randn(4, 8, 5),
        "rgb": torch.randint(0, 255, (4, 8, 16, 16, 3), dtype=torch.uint8),
    }
    for pad, changed in ((3, True), (0, False)):
        trainer = WorldModelTrainer(
            WorldModel(cfg, shapes, 1), TrainerConfig(image_shift=pad), torch.device("cpu")
        )
        views = trainer.augment(obs)
        assert views["proprio"] is obs["proprio"]
        assert views["rgb"].shape == obs["rgb"].shape
        assert (not torch.equal(views["rgb"], obs["rgb"])) is changed
