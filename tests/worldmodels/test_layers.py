import pytest
import torch
from torch import nn

from worldmodels import twohot
from worldmodels.layers import EnsembleLinear, ExpMish, SimNorm


def test_exp_mish_equals_mish():
    x = torch.linspace(-30, 30, 1001)
    torch.testing.assert_close(ExpMish()(x), nn.Mish()(x), atol=1e-5, rtol=1e-5)


def test_simnorm_groups_sum_to_one():
    z = SimNorm(8)(torch.randn(3, 64))
    torch.testing.assert_close(z.view(3, 8, 8).sum(-1), torch.ones(3, 8))


@pytest.mark.parametrize("value", [-50.0, -1.3, 0.0, 0.7, 4.2, 300.0])
def test_two_hot_decodes_back(value):
    bins = torch.linspace(-10, 10, 101)
    target = twohot.two_hot(torch.tensor([value]), bins)
    assert target.sum().item() == pytest.approx(1.0)
    logits = torch.log(target.clamp(min=1e-12))
    assert twohot.decode(logits, bins).item() == pytest.approx(value, rel=1e-3, abs=1e-3)


def test_ensemble_linear_members_are_independent():
    layer = EnsembleLinear(3, 4, 2)
    x = torch.randn(3, 5, 4)
    out = layer(x)
    for e in range(3):
        torch.testing.assert_close(out[e], x[e] @ layer.weight[e] + layer.bias[e])


def test_exp_mish_without_autograd_is_the_autograd_path_bit_for_bit():
    """The planner's in-place path (three temporaries instead of six) computes the same."""
    x = torch.cat([torch.randn(512, 64) * 8, torch.tensor([[25.0, -30.0, 0.0, 20.0] * 16])])
    with torch.enable_grad():
        reference = ExpMish()(x.clone().requires_grad_(True)).detach()
    with torch.inference_mode():
        fast = ExpMish()(x)
    assert torch.equal(fast, reference)
    assert torch.equal(ExpMish()(x), reference)  # grad mode on, input without grad
