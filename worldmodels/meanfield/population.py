"""The neural-SDE population model of a mean-field game (arXiv 2504.13228):
``dX = −∂ₓℓ(X, m) dt + √(2ν) dW + f_θ(X) dt``, learned from observed populations.

Particles are stepped with Euler–Maruyama; the model is fitted by matching, at each observation
time, the quantiles of the simulated particles with those of the observed population (the 1-D
Wasserstein-1 distance between them), back-propagating through the whole simulation.
"""

from __future__ import annotations

import io
import pickle
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from torch import Tensor, nn

from planning.checkpoint import atomic_write
from worldmodels.meanfield.games import GAMES, MeanFieldGame
from worldmodels.ode.fields import MLPField


@dataclass
class ObservedPopulation:
    """Samples of the population at increasing ``times`` (``samples[i]``: 1-D, any size)."""

    times: Sequence[float]
    samples: Sequence[Tensor]

    def __post_init__(self) -> None:
        if len(self.times) != len(self.samples) or len(self.times) < 2:
            raise ValueError("need at least 2 observation times, one sample set per time")
        if any(b <= a for a, b in zip(self.times[:-1], self.times[1:], strict=True)):
            raise ValueError(f"observation times must increase, got {list(self.times)}")


class PopulationSDE(nn.Module):
    """Particles under the game's gradient drift (``known=True``), noise √(2ν), and a neural
    drift f_θ (``neural=True``); ``dt`` is the Euler–Maruyama step."""

    def __init__(
        self,
        game: MeanFieldGame,
        known: bool = True,
        neural: bool = True,
        center: float = 0.0,
        spread: float = 1.0,
        hidden: int = 32,
        dt: float = 0.05,
    ) -> None:
        super().__init__()
        if not known and not neural:
            raise ValueError("a PopulationSDE needs the known drift, the neural drift, or both")
        self.game, self.known, self.dt = game, known, dt
        shift, scale = torch.tensor([center]), torch.tensor([spread])
        self.drift_net = MLPField(1, hidden, 2, shift, scale, out_scale=spread) if neural else None

    def drift(self, x: Tensor) -> Tensor:
        """The drift of every particle ``x[n]`` given the population they form."""
        out = torch.zeros_like(x)
        if self.known:
            weights = torch.ones_like(x)
            out = out - self.game.gradient(x, x, weights)
        if self.drift_net is not None:
            out = out + self.drift_net(x.new_zeros(1), x[:, None])[:, 0]
        return out

    def simulate(
        self, x0: Tensor, times: Sequence[float], generator: torch.Generator | None = None
    ) -> list[Tensor]:
        """Particles at each of ``times`` (the first is the time of ``x0``)."""
        x, now, out = x0, float(times[0]), [x0]
        diffusion = (2 * self.game.noise) ** 0.5
        for target in times[1:]:
            steps = max(1, round((target - now) / self.dt))
            h = (target - now) / steps
            for _ in range(steps):
                noise = torch.randn(x.shape, generator=generator, dtype=x.dtype)
                x = x + h * self.drift(x) + diffusion * h**0.5 * noise
            now = float(target)
            out.append(x)
        return out


def quantile_distance(simulated: Tensor, observed: Tensor) -> Tensor:
    """W₁ between particles and an observed sample, through quantiles at the sample's levels."""
    levels = (torch.arange(len(observed), dtype=simulated.dtype) + 0.5) / len(observed)
    return (torch.quantile(simulated, levels) - observed.sort().values.to(simulated)).abs().mean()


def fit_population(
    model: PopulationSDE,
    data: ObservedPopulation,
    iterations: int = 200,
    particles: int = 256,
    learning_rate: float = 1e-2,
    seed: int = 0,
) -> list[float]:
    """Fit ``model``'s neural drift to ``data``; returns the mean W₁ over observation times
    after each iteration. Simulations start from the first observed sample, resampled."""
    params = [p for p in model.parameters() if p.requires_grad]
    if not params:
        raise ValueError("the model has no neural drift to fit (neural=False)")
    generator = torch.Generator().manual_seed(seed)
    optimiser = torch.optim.Adam(params, lr=learning_rate)
    first = data.samples[0].float()
    history = []
    for _ in range(iterations):
        pick = torch.randint(len(first), (particles,), generator=generator)
        path = model.simulate(first[pick], list(data.times), generator)
        loss = torch.stack([
            quantile_distance(x, obs) for x, obs in zip(path[1:], data.samples[1:], strict=True)
        ]).mean()  # fmt: skip
        optimiser.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 5.0)
        optimiser.step()
        history.append(loss.item())
    return history


@torch.no_grad()
def stationary_particles(
    model: PopulationSDE, x0: Tensor, duration: float, seed: int = 0
) -> Tensor:
    """Particles after running the model for ``duration`` from ``x0`` (its long-run law)."""
    generator = torch.Generator().manual_seed(seed)
    return model.simulate(x0, [0.0, duration], generator)[-1]


def save_population_model(model: PopulationSDE, path: str | Path) -> None:
    """Write ``model`` (its game, settings and weights) to ``path`` atomically."""
    spread = 1.0 if model.drift_net is None else float(model.drift_net.out_scale)
    center = 0.0 if model.drift_net is None else float(model.drift_net.shift[0])
    hidden = 0 if model.drift_net is None else model.drift_net.net[0].out_features
    payload = {
        "game": type(model.game).__name__,
        "game_options": asdict(model.game),
        "settings": dict(known=model.known, neural=model.drift_net is not None, center=center,
                         spread=spread, hidden=hidden or 32, dt=model.dt),
        "state_dict": model.state_dict(),
    }  # fmt: skip
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    atomic_write(Path(path), lambda f: f.write(buffer.getvalue()))


def load_population_model(path: str | Path) -> PopulationSDE:
    """A model written by :func:`save_population_model`."""
    try:
        payload = torch.load(Path(path), map_location="cpu", weights_only=True)
        classes = {cls.__name__: cls for cls in GAMES.values()}
        game = classes[payload["game"]](**payload["game_options"])
        model = PopulationSDE(game, **payload["settings"])
        model.load_state_dict(payload["state_dict"])
    except (OSError, KeyError, RuntimeError, TypeError, pickle.UnpicklingError) as exc:
        raise ValueError(f"{path} is not a population model file: {exc}") from exc
    return model
