"""Vector fields ``dy/dt = h_known(t, y; κ) + f_θ(t, y)`` and their integration with torchdiffeq.

``MLPField`` is the neural term f_θ (a pure neural ODE on its own); ``HybridField`` adds it to a
known mechanistic field whose parameters κ train alongside θ. ``integrate`` solves with an
adaptive solver and, with ``adjoint=True``, back-propagates with the adjoint method (memory
constant in the number of solver steps).
"""

from __future__ import annotations

import itertools
from typing import Any

import torch
from torch import Tensor, nn
from torchdiffeq import odeint, odeint_adjoint


class MLPField(nn.Module):
    """f_θ(t, y): an MLP on ``(y − shift) / scale`` (then ``extra`` inputs, then ``t`` when
    ``time_input``) with ``out_dim`` outputs (default ``dim``) times ``out_scale``; the last
    layer starts at zero, so f_θ starts as 0."""

    def __init__(
        self,
        dim: int,
        hidden: int = 64,
        layers: int = 2,
        shift: Tensor | None = None,
        scale: Tensor | None = None,
        out_scale: Tensor | float = 1.0,
        time_input: bool = False,
        extra_inputs: int = 0,
        out_dim: int | None = None,
    ) -> None:
        super().__init__()
        if dim < 1 or hidden < 1 or layers < 1:
            raise ValueError(f"dim, hidden and layers must be >= 1, got {dim}, {hidden}, {layers}")
        self.time_input = time_input
        sizes = [dim + extra_inputs + int(time_input)] + [hidden] * layers
        blocks: list[nn.Module] = []
        for a, b in itertools.pairwise(sizes):
            blocks += [nn.Linear(a, b), nn.SiLU()]
        last = nn.Linear(hidden, out_dim or dim)
        nn.init.zeros_(last.weight)
        nn.init.zeros_(last.bias)
        self.net = nn.Sequential(*blocks, last)
        self.register_buffer("shift", torch.zeros(dim) if shift is None else shift.float())
        self.register_buffer("scale", torch.ones(dim) if scale is None else scale.float())
        self.register_buffer("out_scale", torch.as_tensor(out_scale, dtype=torch.float32))

    def forward(self, t: Tensor, y: Tensor, extra: Tensor | None = None) -> Tensor:
        parts = [(y - self.shift) / self.scale]
        if extra is not None:
            parts.append(extra)
        if self.time_input:
            parts.append(t.expand(*y.shape[:-1], 1))
        return self.net(torch.cat(parts, -1)) * self.out_scale


class HybridField(nn.Module):
    """``known(t, y) + neural(t, y)``; either part may be None (mechanistic-only or neural-only)."""

    def __init__(self, known: nn.Module | None, neural: nn.Module | None) -> None:
        super().__init__()
        if known is None and neural is None:
            raise ValueError("a HybridField needs a known part, a neural part, or both")
        self.known, self.neural = known, neural

    def forward(self, t: Tensor, y: Tensor) -> Tensor:
        out = self.known(t, y) if self.known is not None else 0.0
        if self.neural is not None:
            out = out + self.neural(t, y)
        return out


def integrate(
    field: nn.Module,
    y0: Tensor,
    t: Tensor,
    method: str = "dopri5",
    rtol: float = 1e-6,
    atol: float = 1e-8,
    adjoint: bool = False,
    options: dict[str, Any] | None = None,
) -> Tensor:
    """``y(t)`` of shape ``[len(t), *y0.shape]`` from ``y(t[0]) = y0`` (``t`` increasing)."""
    if t.dim() != 1 or len(t) < 2:
        raise ValueError(f"t must be a 1-D tensor of at least 2 times, got shape {tuple(t.shape)}")
    if not bool((t[1:] > t[:-1]).all()):
        raise ValueError("t must be strictly increasing")
    solve = odeint_adjoint if adjoint else odeint
    kwargs: dict[str, Any] = dict(method=method, rtol=rtol, atol=atol, options=options)
    if adjoint:
        kwargs["adjoint_params"] = tuple(p for p in field.parameters() if p.requires_grad)
    return solve(field, y0, t, **kwargs)
