"""Training on a fixed cartpole dataset: losses fall and the model beats copy-last."""

import pytest
import torch

from worldmodels.config import TrainerConfig, WorldModelConfig
from worldmodels.data import Batch, WindowSampler
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
