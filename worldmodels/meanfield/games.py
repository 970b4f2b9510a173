"""Static mean-field games on the real line: a player at ``x`` pays ``ℓ(x, m)``, ``m`` the
population (weighted points). The population's dynamics are the noisy gradient flow
``dX = −∂ₓℓ(X, m) dt + √(2ν) dW`` whose stationary law is the entropy-regularised equilibrium
``m ∝ exp(−ℓ(·, m)/ν)``. Kinks are smoothed with softplus of ``sharpness``.

``habit_strength`` adds a private habit cost ``κ/2 (x − habit)²`` (the part of behaviour a
modeller who only knows the game misses; :mod:`worldmodels.meanfield.population` learns it).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor


def weighted_quantile(points: Tensor, weights: Tensor, q: float) -> Tensor:
    """The ``q`` quantile of the distribution with ``weights`` at ``points`` (linear
    interpolation of the cumulative weights at the mid-points of each mass); differentiable in
    ``points``."""
    order = torch.argsort(points.detach())
    x, w = points[order], weights[order] / weights.sum()
    cdf = torch.cumsum(w, 0) - 0.5 * w
    right = torch.searchsorted(cdf.detach().contiguous(), torch.tensor([q], dtype=cdf.dtype))
    right = right.clamp(1, len(x) - 1)
    left = right - 1
    frac = ((q - cdf[left]) / (cdf[right] - cdf[left]).clamp_min(1e-12)).clamp(0.0, 1.0)
    return (x[left] + frac * (x[right] - x[left]))[0]


@dataclass
class MeanFieldGame:
    """Base of the games: a private habit cost and the common interface."""

    noise: float = 0.05  # ν
    habit_strength: float = 0.0
    habit: float = 0.0
    sharpness: float = 20.0

    def game_cost(self, x: Tensor, points: Tensor, weights: Tensor) -> Tensor:
        """ℓ(x, m) of the game itself, for every entry of ``x``."""
        raise NotImplementedError

    def game_gradient(self, x: Tensor, points: Tensor, weights: Tensor) -> Tensor:
        """∂ₓℓ(x, m) of the game itself, holding the population fixed."""
        raise NotImplementedError

    def cost(self, x: Tensor, points: Tensor, weights: Tensor) -> Tensor:
        """ℓ(x, m) including the habit cost."""
        habit = 0.5 * self.habit_strength * (x - self.habit) ** 2
        return self.game_cost(x, points, weights) + habit

    def gradient(self, x: Tensor, points: Tensor, weights: Tensor) -> Tensor:
        """∂ₓℓ(x, m) including the habit cost."""
        return self.game_gradient(x, points, weights) + self.habit_strength * (x - self.habit)

    def _plus(self, z: Tensor) -> Tensor:
        return F.softplus(self.sharpness * z) / self.sharpness

    def _step(self, z: Tensor) -> Tensor:
        return torch.sigmoid(self.sharpness * z)


@dataclass
class MeetingGame(MeanFieldGame):
    """Guéant–Lasry–Lions' meeting: ``x`` is an arrival time; the meeting is scheduled at
    ``scheduled`` and starts when the ``quorum`` quantile of the attendees has arrived.
    ``ℓ = lateness·(x − t_sched)⁺ + late_start·(x − t_start)⁺ + waiting·(t_start − x)⁺``."""

    scheduled: float = 12.0
    quorum: float = 0.8
    lateness: float = 1.0
    late_start: float = 1.0
    waiting: float = 1.0

    def start_time(self, points: Tensor, weights: Tensor) -> Tensor:
        """When the meeting starts: the ``quorum`` quantile of arrivals."""
        return weighted_quantile(points, weights, self.quorum)

    def game_cost(self, x: Tensor, points: Tensor, weights: Tensor) -> Tensor:
        start = self.start_time(points, weights)
        return (self.lateness * self._plus(x - self.scheduled)
                + self.late_start * self._plus(x - start)
                + self.waiting * self._plus(start - x))  # fmt: skip

    def game_gradient(self, x: Tensor, points: Tensor, weights: Tensor) -> Tensor:
        start = self.start_time(points, weights)
        return (self.lateness * self._step(x - self.scheduled)
                + self.late_start * self._step(x - start)
                - self.waiting * self._step(start - x))  # fmt: skip


@dataclass
class ElFarolGame(MeanFieldGame):
    """The El Farol bar: ``x`` is a propensity, a player goes with probability σ(x); going pays
    ``payoff·(threshold − attendance)`` (fun below the threshold, crowded above);
    ``ℓ = σ(x)·payoff·(A(m) − threshold) + stay_cost/2·x²`` with ``A(m) = E_m σ(X)``."""

    threshold: float = 0.9
    payoff: float = 4.0
    stay_cost: float = 0.1

    def attendance(self, points: Tensor, weights: Tensor) -> Tensor:
        """The share of the population that goes."""
        return (torch.sigmoid(points) * weights).sum() / weights.sum()

    def game_cost(self, x: Tensor, points: Tensor, weights: Tensor) -> Tensor:
        crowding = self.payoff * (self.attendance(points, weights) - self.threshold)
        return torch.sigmoid(x) * crowding + 0.5 * self.stay_cost * x**2

    def game_gradient(self, x: Tensor, points: Tensor, weights: Tensor) -> Tensor:
        crowding = self.payoff * (self.attendance(points, weights) - self.threshold)
        s = torch.sigmoid(x)
        return s * (1 - s) * crowding + self.stay_cost * x


GAMES: dict[str, type[MeanFieldGame]] = {"meeting": MeetingGame, "el_farol": ElFarolGame}


def make_game(name: str, **options: float) -> MeanFieldGame:
    """The game ``name`` with ``options``; an unknown name or option lists the valid ones."""
    if name not in GAMES:
        raise ValueError(f"unknown mean-field game {name!r}; valid: {', '.join(GAMES)}")
    try:
        return GAMES[name](**options)
    except TypeError:
        fields = sorted(GAMES[name].__dataclass_fields__)
        raise ValueError(f"bad option(s) {sorted(options)} for {name!r}; valid: {fields}") from None
