"""Vector fields ``dy/dt = h_known(t, y; κ) + f_θ(t, y)`` and their integration with torchdiffeq.

``MLPField`` is the neural term f_θ (a pure neural ODE on its own); ``HybridField`` adds it to a
known mechanistic field whose parameters κ train alongside θ. ``StoichiometricField`` is a
residual that knows the stoichiometry of the missing reactions but not their kinetics:
``f_θ = r_θ(y) · S`` with learned rates ``r_θ ≥ 0``. ``integrate`` solves with an
adaptive solver and, with ``adjoint=True``, back-propagates with the adjoint method (memory
constant in the number of solver steps).
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import torch
from torch import Tensor, nn
from torch.nn import functional as F
from torchdiffeq import odeint, odeint_adjoint

KINETICS = ("softplus", "power_law")  # the rate forms of StoichiometricField


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


class StoichiometricField(nn.Module):
    """f_θ(t, y) = r_θ(t, y) · S: reactions of known net stoichiometry ``S[reactions, dim]`` whose
    rates ``r_θ ≥ 0`` are unknown functions of the state, learned.

    This uses more prior knowledge than a free residual (an :class:`MLPField` with ``dim``
    outputs): the modeller names which reactions are missing (or a set of candidate
    stoichiometric directions), though not their rate laws. Each rate is ``rate_scale`` times

    - ``kinetics="softplus"``: the softplus of an :class:`MLPField` of ``(y − shift) / scale``
      plus a constant offset; or
    - ``kinetics="power_law"``: ``exp(offset + orders · log y + g_θ(log y))`` with learned
      reaction orders and an MLP ``g_θ`` on the log-concentrations (``y`` clamped at
      ``min_concentration``): every mass-action or generalised-mass-action (power-law) rate is
      the ``g_θ = 0`` case, which biases the fit towards such laws without fixing one; the
      inputs are then not shifted or scaled (``shift``/``scale`` are ignored), the model
      assumes positive concentrations.

    The last layer and the orders start at zero, so every rate starts at ``initial_rate ·
    rate_scale`` (positive: neither form reaches 0) and f_θ at that times the sum of the rows of
    ``S``. ``rates`` returns ``r_θ`` itself.
    """

    def __init__(
        self,
        stoichiometry: Tensor,
        hidden: int = 64,
        layers: int = 2,
        shift: Tensor | None = None,
        scale: Tensor | None = None,
        rate_scale: Tensor | float = 1.0,
        initial_rate: float = 1e-2,
        kinetics: str = "softplus",
        min_concentration: float = 1e-6,
        time_input: bool = False,
    ) -> None:
        super().__init__()
        if stoichiometry.dim() != 2 or stoichiometry.shape[0] < 1:
            raise ValueError(
                f"stoichiometry must be [reactions >= 1, dim], got {tuple(stoichiometry.shape)}"
            )
        if initial_rate <= 0:
            raise ValueError(
                f"initial_rate must be > 0 (the rates are positive), got {initial_rate}"
            )
        if kinetics not in KINETICS:
            raise ValueError(f"unknown kinetics {kinetics!r}; valid: {', '.join(KINETICS)}")
        reactions, dim = stoichiometry.shape
        self.kinetics, self.min_concentration = kinetics, min_concentration
        if kinetics == "power_law":
            shift = scale = None
            self.orders = nn.Parameter(torch.zeros(reactions, dim))
            offset = math.log(initial_rate)
        else:  # softplus⁻¹(initial_rate): the pre-activation that the zero last layer starts from
            offset = initial_rate + math.log(-math.expm1(-initial_rate))
        self.rate_net = MLPField(dim, hidden, layers, shift, scale, time_input=time_input,
                                 out_dim=reactions)  # fmt: skip
        self.register_buffer("stoichiometry", stoichiometry.float())
        self.register_buffer("rate_scale", torch.as_tensor(rate_scale, dtype=torch.float32))
        self.register_buffer("offset", torch.tensor(offset, dtype=torch.float32))

    def rates(self, t: Tensor, y: Tensor) -> Tensor:
        """The learned reaction rates ``r_θ(t, y) ≥ 0``, ``[..., reactions]``."""
        if self.kinetics == "power_law":
            log_y = y.clamp_min(self.min_concentration).log()
            log_rate = self.offset + log_y @ self.orders.T + self.rate_net(t, log_y)
            return log_rate.exp() * self.rate_scale
        return F.softplus(self.rate_net(t, y) + self.offset) * self.rate_scale

    def forward(self, t: Tensor, y: Tensor) -> Tensor:
        return self.rates(t, y) @ self.stoichiometry


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
