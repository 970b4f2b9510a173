"""A learned population model of open_spiel's crowd-modelling game (a ring of cells).

The discrete counterpart of :class:`~worldmodels.meanfield.population.PopulationSDE`. Its known
part is the game's own dynamics: a move ``a ∈ {−1, 0, +1}`` chosen by a myopic softmax on the
next step's known reward (the centre reward ``1 − |x − size/2| / (size/2)``, the crowd aversion
``−log m(x)`` with the current population, the move cost ``−|a| / size``), then a uniform noise
step in ``{−1, 0, +1}``. ``f_θ(x, t)`` adds learned logits to the moves (an MLP on the ring
position and the time, whose last layer starts at zero), the part of behaviour (planning ahead)
the myopic model misses. The population flow ``m_{t+1} = Σ_x m_t(x) π_t(·|x) ∗ noise`` is exact,
so the model is fitted by maximum likelihood of observed agents' cells at each step.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import Tensor, nn

from worldmodels.ode.fields import MLPField

MOVES = (-1, 0, 1)  # open_spiel's actions 0, 1, 2
CROWD_EPSILON = 1e-25  # open_spiel's floor inside −log m(x)


class RingPopulationModel(nn.Module):
    """Population over ``size`` ring cells for ``horizon`` steps from the uniform population:
    known myopic moves (``known``) plus learned logits f_θ (``neural``)."""

    def __init__(
        self, size: int = 10, horizon: int = 10, known: bool = True, neural: bool = True,
        hidden: int = 16, time_input: bool = False,
    ) -> None:  # fmt: skip
        super().__init__()
        if not known and not neural:
            raise ValueError("a RingPopulationModel needs the known moves, f_θ, or both")
        self.size, self.horizon, self.known = size, horizon, known
        angle = 2 * math.pi * torch.arange(size, dtype=torch.float32) / size
        self.register_buffer("features", torch.stack([angle.cos(), angle.sin()], -1))
        centre = size // 2
        cells = torch.arange(size, dtype=torch.float32)
        self.register_buffer("centre_reward", 1 - (cells - centre).abs().double() / centre)
        # kernel[x · 3 + a, y]: the probability to reach cell y from x by move a, then the noise
        moves = torch.tensor(MOVES)
        dest = (cells.long()[:, None, None] + moves[None, :, None] + moves[None, None, :]) % size
        kernel = torch.zeros(size, len(MOVES), size, dtype=torch.float64)
        kernel.scatter_add_(2, dest, torch.full(dest.shape, 1.0 / len(MOVES), dtype=kernel.dtype))
        self.register_buffer("kernel", kernel.reshape(size * len(MOVES), size))
        self.register_buffer("move_cost", torch.tensor(MOVES, dtype=torch.float64).abs() / size)
        self.time_input = time_input
        self.logits_net = (
            MLPField(2, hidden, 2, time_input=time_input, out_dim=len(MOVES)) if neural else None
        )

    def learned_logits(self, t: int) -> Tensor:
        """f_θ's logits ``[size, 3]`` at step ``t`` (zeros without f_θ)."""
        if self.logits_net is None:
            return self.features.new_zeros(self.size, len(MOVES))
        return self.logits_net(torch.full((1,), t / self.horizon), self.features)

    def policy(self, t: int, m: Tensor, learned: Tensor | None = None) -> Tensor:
        """Move probabilities ``[size, 3]`` at step ``t`` given the population ``m[size]``
        (``learned``: f_θ's logits when already computed)."""
        logits = (self.learned_logits(t) if learned is None else learned).to(m)
        if self.known:  # the expected reward of the next step, with the current population
            reward = self.centre_reward.to(m) - torch.log(m + CROWD_EPSILON)
            expected = (self.kernel @ reward).reshape(self.size, len(MOVES))
            logits = logits + expected - self.move_cost
        return torch.softmax(logits, -1)

    def step(self, m: Tensor, policy: Tensor) -> Tensor:
        """The population after every agent moves by ``policy[size, 3]`` and the noise."""
        return (m[:, None] * policy).reshape(-1) @ self.kernel

    def rollout(self) -> tuple[Tensor, Tensor]:
        """Distributions ``[horizon + 1, size]`` (from uniform) and policies
        ``[horizon, size, 3]``."""
        m = torch.full((self.size,), 1.0 / self.size, dtype=torch.float64)
        distributions, policies = [m], []
        learned = None if self.time_input else self.learned_logits(0)  # f_θ(x) once
        for t in range(self.horizon):
            policies.append(self.policy(t, m, learned))
            m = self.step(m, policies[-1])
            distributions.append(m)
        return torch.stack(distributions), torch.stack(policies)


def sample_counts(distribution: np.ndarray, agents: int, seed: int = 0) -> np.ndarray:
    """Observed populations: the cells of ``agents`` agents drawn at each step from
    ``distribution[T, size]`` (independently per step), as counts ``[T, size]``."""
    rng = np.random.default_rng(seed)
    table = np.asarray(distribution, dtype=float)
    return np.stack([rng.multinomial(agents, row / row.sum()) for row in table])


def fit_ring_population(
    model: RingPopulationModel,
    counts: np.ndarray,
    iterations: int = 300,
    learning_rate: float = 3e-2,
) -> list[float]:
    """Fit f_θ by maximum likelihood of ``counts[t, size]`` (agents seen in each cell at
    steps ``t = 1 .. len(counts) − 1``; step 0 is the known uniform start); returns the mean
    negative log-likelihood per agent after each iteration."""
    params = [p for p in model.parameters() if p.requires_grad]
    if not params:
        raise ValueError("the model has no learned logits to fit (neural=False)")
    if len(counts) < 2 or len(counts) > model.horizon + 1:
        raise ValueError(f"need counts for 2 .. {model.horizon + 1} steps, got {len(counts)}")
    observed = torch.as_tensor(np.asarray(counts)[1:], dtype=torch.float64)
    optimiser = torch.optim.Adam(params, lr=learning_rate)
    history = []
    for _ in range(iterations):
        distributions, _ = model.rollout()
        log_m = torch.log(distributions[1 : len(counts)] + CROWD_EPSILON)
        loss = -(observed * log_m).sum() / observed.sum()
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        history.append(loss.item())
    return history
