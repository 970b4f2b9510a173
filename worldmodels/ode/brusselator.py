"""The Brusselator, an oscillating reaction network, and noisy irregular samples of it.

With the reservoir species held constant, its reactions on X and Y are
``-> X, a``; ``2 X + Y -> 3 X, c``; ``X -> Y, b``; ``X -> 0, d``, i.e.
``dX/dt = a − (b + d) X + c X² Y``, ``dY/dt = b X − c X² Y``; a limit cycle when
``b > d + a² c / d`` (the classical a = 1, b = 3, c = d = 1 oscillates with period ≈ 7.16).
"""

from __future__ import annotations

import torch
from torch import Tensor

from worldmodels.ode.fields import integrate
from worldmodels.ode.reactions import MassAction, ReactionNetwork
from worldmodels.ode.training import Trajectory

REACTIONS = ("-> X, a", "2 X + Y -> 3 X, c", "X -> Y, b", "X -> 0, d")
RATES = {"a": 1.0, "b": 3.0, "c": 1.0, "d": 1.0}


def brusselator(
    drop: str | None = None, rates: dict[str, float] | None = None, learn_rates: bool = False
) -> MassAction:
    """The Brusselator's mass-action field, without the reaction whose rate is named ``drop``
    (the empirical model that misses one reaction), with ``rates`` (default :data:`RATES`)."""
    kept = [r for r in REACTIONS if drop is None or not r.endswith(f", {drop}")]
    if len(kept) == len(REACTIONS) and drop is not None:
        raise ValueError(f"no reaction with rate {drop!r}; rates: {', '.join(RATES)}")
    network = ReactionNetwork(kept, species=["X", "Y"])
    chosen = {k: v for k, v in (rates or RATES).items() if k in network.rate_names}
    return MassAction(network, chosen, learn_rates)


@torch.no_grad()
def sample_trajectories(
    field: torch.nn.Module,
    initial: Tensor,
    horizon: float,
    points: int,
    noise: float,
    seed: int,
) -> tuple[list[Trajectory], list[Trajectory]]:
    """Noisy observations at ``points`` random times in ``[0, horizon]`` (the first at 0) of the
    solutions from each ``initial[B, D]``; returns (noisy, noise-free) trajectories.

    Noise is Gaussian with standard deviation ``noise`` times each dimension's spread.
    """
    generator = torch.Generator().manual_seed(seed)
    noisy, clean = [], []
    for y0 in initial.double():
        times = torch.rand(points - 1, generator=generator, dtype=torch.float64) * horizon
        times = torch.cat([times.new_zeros(1), times.sort().values])
        path = integrate(field.double(), y0, times, rtol=1e-9, atol=1e-11)
        spread = path.std(0).clamp_min(1e-6)
        jitter = noise * spread * torch.randn(path.shape, generator=generator, dtype=path.dtype)
        clean.append(Trajectory(times.float(), path.float()))
        noisy.append(Trajectory(times.float(), (path + jitter).float()))
    field.float()
    return noisy, clean
