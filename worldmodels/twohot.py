"""Two-hot distributions over bins in symlog space, as TD-MPC2's reward and value heads."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor


def symlog(x: Tensor) -> Tensor:
    return torch.sign(x) * torch.log1p(x.abs())


def symexp(x: Tensor) -> Tensor:
    return torch.sign(x) * torch.expm1(x.abs())


def two_hot(x: Tensor, bins: Tensor) -> Tensor:
    """Targets ``x[...]`` as two-hot vectors ``[..., len(bins)]`` over ``symlog`` space."""
    num = bins.numel()
    vmin, vmax = bins[0], bins[-1]
    width = (vmax - vmin) / (num - 1)
    pos = ((symlog(x.float()).clamp(vmin, vmax) - vmin) / width).clamp(0, num - 1)
    low = pos.floor().long().clamp(max=num - 2)
    frac = (pos - low).unsqueeze(-1)
    out = torch.zeros(*x.shape, num, device=x.device)
    out.scatter_(-1, low.unsqueeze(-1), 1 - frac)
    out.scatter_add_(-1, (low + 1).unsqueeze(-1), frac)
    return out


def decode(logits: Tensor, bins: Tensor) -> Tensor:
    """Expected value of the distribution ``logits[..., bins]``, mapped back by ``symexp``."""
    return symexp((logits.float().softmax(-1) * bins).sum(-1))


def soft_ce(logits: Tensor, target: Tensor, bins: Tensor) -> Tensor:
    """Cross-entropy of ``logits[..., bins]`` against the two-hot encoding of ``target[...]``."""
    return -(two_hot(target, bins) * F.log_softmax(logits.float(), -1)).sum(-1)
