"""Training on irregular noisy trajectories: a planted missing term is recovered."""

from __future__ import annotations

from dataclasses import replace

import pytest
import torch

from worldmodels.ode.brusselator import sample_trajectories
from worldmodels.ode.fields import HybridField, MLPField, integrate
from worldmodels.ode.reactions import MassAction, ReactionNetwork
from worldmodels.ode.training import (
    ODETrainConfig,
    Trajectory,
    fit_field,
    split_windows,
    union_times,
)

TRUE = ["-> X, a", "X -> Y, b", "Y -> 0, d", "X -> 0, e"]
RATES = {"a": 2.0, "b": 1.0, "d": 0.5, "e": 0.7}


def _data(seed: int = 0):
    truth = MassAction(ReactionNetwork(TRUE), RATES, learn_rates=False)
    g = torch.Generator().manual_seed(seed)
    initial = torch.rand(8, 2, generator=g) * 4  # short transients spread over the states
    return sample_trajectories(truth, initial, horizon=1.5, points=12, noise=0.01, seed=seed)


def test_union_times_and_windows_keep_every_observation():
    a = Trajectory(torch.tensor([1.0, 1.5, 3.0]), torch.zeros(3, 1))
    b = Trajectory(torch.tensor([0.0, 0.5, 0.75]), torch.ones(3, 1))
    grid, idx = union_times([a, b])
    assert grid.tolist() == [0.0, 0.5, 0.75, 2.0]
    assert [i.tolist() for i in idx] == [[0, 1, 3], [0, 1, 2]]
    pieces = split_windows([a], window=1.0)
    assert [p.times.tolist() for p in pieces] == [[1.0, 1.5], [1.5, 3.0]]


def test_hybrid_recovers_a_planted_missing_reaction():
    torch.manual_seed(0)
    noisy, clean = _data()
    known = MassAction(ReactionNetwork(TRUE[:3]), RATES, learn_rates=False)  # misses X -> 0
    values = torch.cat([tr.values for tr in noisy])
    neural = MLPField(2, 32, 2, values.mean(0), values.std(0), out_scale=values.std(0))
    hybrid = HybridField(known, neural)
    cfg = ODETrainConfig(iterations=4, rtol=1e-4, atol=1e-5, neural_penalty=0.0)
    history = fit_field(hybrid, noisy, cfg)
    assert history["loss"][-1] < 1e-3 * history["loss"][0]
    states = values[(values[:, 0] > 0.3) & (values[:, 0] < 2.5)]
    with torch.no_grad():
        learned = neural(torch.zeros(1), states)
    planted = torch.stack([-RATES["e"] * states[:, 0], torch.zeros(len(states))], -1)
    error = (learned - planted).abs().mean(0)
    assert error[0] < 0.1 * planted[:, 0].abs().mean()  # the missing decay of X
    assert error[1] < 0.1 * planted[:, 0].abs().mean()  # and nothing on Y
    # the hybrid also predicts the clean trajectories far better than the known part alone
    t, y0 = clean[0].times, clean[0].values[0]
    with torch.no_grad():
        hybrid_error = (integrate(hybrid, y0, t) - clean[0].values).abs().mean()
        known_error = (integrate(known, y0, t) - clean[0].values).abs().mean()
    assert hybrid_error < 0.1 * known_error


def test_fit_field_learns_known_rates_alongside():
    noisy, _ = _data(seed=1)
    wrong = dict(RATES, b=2.0)
    field = HybridField(MassAction(ReactionNetwork(TRUE), wrong, learn_rates=True), None)
    fit_field(field, noisy, ODETrainConfig(iterations=3, rtol=1e-4, atol=1e-5))
    assert field.known.rates()["b"] == pytest.approx(RATES["b"], rel=0.05)


def test_adam_with_windows_reduces_the_loss():
    noisy, _ = _data(seed=2)
    field = HybridField(MassAction(ReactionNetwork(TRUE), dict(RATES, b=2.0)), None)
    cfg = ODETrainConfig(optimizer="adam", iterations=30, learning_rate=5e-2, window=0.5,
                         batch_size=8, known_lr_scale=1.0, rtol=1e-4, atol=1e-5)  # fmt: skip
    history = fit_field(field, noisy, cfg)
    assert history["loss"][-1] < 0.5 * history["loss"][0]
    with pytest.raises(ValueError, match="unknown optimizer 'sgd'"):
        fit_field(field, noisy, ODETrainConfig(optimizer="sgd"))


def test_fit_field_rejects_empty_data():
    field = HybridField(None, MLPField(2))
    with pytest.raises(ValueError, match="at least one trajectory"):
        fit_field(field, [], ODETrainConfig(iterations=1))


def test_staged_fit_trains_rates_then_network_then_both():
    noisy, _ = _data(seed=1)
    known = MassAction(ReactionNetwork(TRUE[:3]), dict(RATES, b=2.0), learn_rates=True)
    neural = MLPField(2, 16)
    field = HybridField(known, neural)
    fast = dict(rtol=1e-4, atol=1e-5)
    history = fit_field(field, noisy, ODETrainConfig(iterations=0, known_warmup=2, **fast))
    assert history["step"] == [0, 2] and history["loss"][-1] < history["loss"][0]
    assert known.rates()["b"] != pytest.approx(2.0, rel=1e-3)  # the mechanistic fit moved κ
    assert all(torch.count_nonzero(p) == 0 for p in neural.net[-1].parameters())  # f_θ off
    rates = known.rates()
    fit_field(field, noisy, ODETrainConfig(iterations=0, neural_warmup=1, **fast))
    assert known.rates() == rates  # κ frozen while θ fits
    assert torch.count_nonzero(neural.net[-1].weight) > 0
    history = fit_field(field, noisy, ODETrainConfig(iterations=1, known_warmup=1, **fast))
    assert history["step"] == [0, 1, 2]  # steps count on across the stages


def test_weight_decay_shrinks_the_network():
    noisy, _ = _data(seed=2)
    known = MassAction(ReactionNetwork(TRUE[:3]), RATES, learn_rates=False)
    norms = []
    for decay in (0.0, 1e-2):
        torch.manual_seed(0)
        field = HybridField(known, MLPField(2, 16))
        cfg = ODETrainConfig(iterations=1, rtol=1e-4, atol=1e-5, neural_penalty=0.0)
        fit_field(field, noisy, replace(cfg, weight_decay=decay))
        norms.append(sum(float((p**2).sum()) for p in field.neural.parameters()))
    assert norms[1] < norms[0]
