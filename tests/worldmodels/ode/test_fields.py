"""Integration, the adjoint gradient, and period estimation."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from worldmodels.ode.brusselator import brusselator
from worldmodels.ode.fields import KINETICS, HybridField, MLPField, StoichiometricField, integrate
from worldmodels.ode.period import estimate_period, period_error


def _grads(field, y0, t, adjoint):
    field.zero_grad()
    path = integrate(field, y0, t, rtol=1e-9, atol=1e-11, adjoint=adjoint)
    (path**2).sum().backward()
    return [p.grad.clone() for p in field.parameters() if p.requires_grad]


def test_adjoint_gradient_matches_direct_backpropagation():
    torch.manual_seed(0)
    neural = MLPField(2, hidden=16, layers=2)
    torch.nn.init.normal_(neural.net[-1].weight, std=0.1)  # not zero: a real gradient path
    field = HybridField(brusselator(drop="c", learn_rates=True), neural).double()
    y0 = torch.tensor([[1.0, 2.0], [2.0, 1.5]], dtype=torch.float64)
    t = torch.tensor([0.0, 0.3, 0.9, 1.5], dtype=torch.float64)
    direct = _grads(field, y0, t, adjoint=False)
    adjoint = _grads(field, y0, t, adjoint=True)
    assert len(direct) == len(adjoint) == 1 + 6  # log-rates + three linear layers
    for a, b in zip(direct, adjoint, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-8)


def test_integrate_rejects_bad_times():
    field = HybridField(brusselator(), None)
    with pytest.raises(ValueError, match="strictly increasing"):
        integrate(field, torch.ones(2), torch.tensor([0.0, 1.0, 1.0]))
    with pytest.raises(ValueError, match="at least 2"):
        integrate(field, torch.ones(2), torch.tensor([0.0]))


def test_neural_term_starts_at_zero():
    field = MLPField(3, hidden=8)
    assert torch.count_nonzero(field(torch.zeros(1), torch.randn(5, 3))) == 0


def test_period_of_a_sampled_sine_and_of_a_decay():
    t = np.sort(np.random.default_rng(0).uniform(0, 50, 4000))
    assert estimate_period(t, np.sin(2 * math.pi * t / 3.7)) == pytest.approx(3.7, rel=1e-3)
    assert math.isnan(estimate_period(t, np.exp(-t)))
    assert period_error(float("nan"), 3.7) == math.inf


def test_brusselator_oscillates_with_its_known_period():
    t = torch.linspace(0, 150, 6000)
    with torch.no_grad():
        path = integrate(brusselator(), torch.tensor([1.0, 1.0]), t)
    # a = 1, b = 3: the limit cycle's period is about 7.16
    assert estimate_period(t.numpy(), path[:, 0].numpy()) == pytest.approx(7.157, rel=2e-3)


@pytest.mark.parametrize("kinetics", KINETICS)
def test_stoichiometric_residual_is_s_times_non_negative_rates(kinetics):
    torch.manual_seed(0)
    s = torch.tensor([[1.0, -1.0], [0.0, 2.0]])  # two reactions over two species
    field = StoichiometricField(s, hidden=8, rate_scale=2.0, initial_rate=0.5, kinetics=kinetics)
    y = torch.rand(6, 2) * 3 + 0.1
    t = torch.zeros(1)
    torch.testing.assert_close(field.rates(t, y), torch.full((6, 2), 1.0))  # 0.5 · 2 at first
    torch.nn.init.normal_(field.rate_net.net[-1].weight, std=3.0)  # any parameters
    rates = field.rates(t, y)
    assert rates.shape == (6, 2) and bool((rates >= 0).all())
    torch.testing.assert_close(field(t, y), rates @ s)


def test_power_law_kinetics_contain_mass_action():
    field = StoichiometricField(torch.tensor([[1.0, -1.0]]), hidden=4, kinetics="power_law")
    with torch.no_grad():
        field.orders.copy_(torch.tensor([[2.0, 1.0]]))  # 2 X + Y -> 3 X, with g_θ = 0
    y = torch.rand(5, 2) + 0.2
    expected = 1e-2 * y[:, :1] ** 2 * y[:, 1:]  # the initial rate is the rate constant
    torch.testing.assert_close(field.rates(torch.zeros(1), y), expected)


def test_stoichiometric_residual_rejects_bad_settings():
    with pytest.raises(ValueError, match="reactions >= 1"):
        StoichiometricField(torch.ones(2))
    with pytest.raises(ValueError, match="initial_rate must be > 0"):
        StoichiometricField(torch.ones(1, 2), initial_rate=0.0)
    with pytest.raises(ValueError, match="unknown kinetics 'hill'"):
        StoichiometricField(torch.ones(1, 2), kinetics="hill")
