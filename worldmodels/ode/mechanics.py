"""Controlled rigid-body dynamics with a learned residual: the cart-pole, as a world model.

``CartPoleDynamics`` is the textbook cart-pole (a cart on a rail, a uniform pole hinged on it,
angle 0 upright) with parameters κ = masses, pole length, frictions and motor gear, learned in
log space. ``ControlledODE`` adds a neural residual f_θ(y, u) and steps the state over one
control interval with the action held constant (RK4). Episodes come in the saved-episode
format (``proprio`` = [x, cos θ, sin θ, ẋ, θ̇], ``action``), through ``EpisodeDataset``.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from worldmodels.data import Batch, EpisodeDataset, WindowSampler
from worldmodels.ode.fields import MLPField

GRAVITY = 9.81
CARTPOLE_PARAMETERS = ("cart_mass", "pole_mass", "pole_length", "cart_friction",
                       "pole_friction", "gear")  # fmt: skip


class CartPoleDynamics(nn.Module):
    """``d[x, θ, ẋ, θ̇]/dt`` of a cart-pole pushed by ``gear · u`` (θ = 0 upright, the pole's
    tip at ``x + length · sin θ``); a uniform pole of ``pole_length``, viscous frictions."""

    def __init__(self, learn: bool = True, **parameters: float) -> None:
        super().__init__()
        defaults = dict(cart_mass=1.0, pole_mass=0.1, pole_length=1.0, cart_friction=0.0,
                        pole_friction=0.0, gear=10.0)  # fmt: skip
        unknown = sorted(set(parameters) - set(defaults))
        if unknown:
            raise ValueError(
                f"unknown cart-pole parameter(s) {unknown}; valid: {CARTPOLE_PARAMETERS}"
            )
        values = {**defaults, **parameters}
        bad = [k for k, v in values.items() if v < 0 or (v == 0 and "friction" not in k)]
        if bad:
            raise ValueError(f"cart-pole parameter(s) {bad} must be positive (frictions >= 0)")
        # frictions may be 0: they are stored as log(1e-6 + value)
        raw = [
            math.log(values[k] + (1e-6 if "friction" in k else 0.0)) for k in CARTPOLE_PARAMETERS
        ]
        self.log_params = nn.Parameter(torch.tensor(raw), requires_grad=learn)

    def parameters_dict(self) -> dict[str, float]:
        """Current κ by name."""
        return dict(zip(CARTPOLE_PARAMETERS, self.log_params.exp().tolist(), strict=True))

    def forward(self, state: Tensor, action: Tensor) -> Tensor:
        m_c, m_p, length, b_x, b_t, gear = self.log_params.exp().unbind()
        _, theta, v, omega = state.unbind(-1)
        half = length / 2
        inertia = m_p * length**2 / 3  # about the hinge
        sin, cos = torch.sin(theta), torch.cos(theta)
        force = gear * action[..., 0] - b_x * v + m_p * half * sin * omega**2
        torque = m_p * GRAVITY * half * sin - b_t * omega
        # [[m_c + m_p, m_p h cos], [m_p h cos, I]] · [ẍ, θ̈] = [force, torque]
        a11, a12, a22 = m_c + m_p, m_p * half * cos, inertia
        det = a11 * a22 - a12**2
        acc = (a22 * force - a12 * torque) / det
        alpha = (a11 * torque - a12 * force) / det
        return torch.stack([v, omega, acc, alpha], -1)

    @staticmethod
    def state_from_obs(obs: Tensor) -> Tensor:
        """[x, θ, ẋ, θ̇] from the observation [x, cos θ, sin θ, ẋ, θ̇]."""
        x, cos, sin, v, omega = obs.unbind(-1)
        return torch.stack([x, torch.atan2(sin, cos), v, omega], -1)

    @staticmethod
    def obs_from_state(state: Tensor) -> Tensor:
        """The observation [x, cos θ, sin θ, ẋ, θ̇] of a state [x, θ, ẋ, θ̇]."""
        x, theta, v, omega = state.unbind(-1)
        return torch.stack([x, torch.cos(theta), torch.sin(theta), v, omega], -1)


class ControlledODE(nn.Module):
    """``dy/dt = known(y, u) + f_θ(y, u)`` stepped over control intervals of ``control_dt``
    with ``substeps`` RK4 steps; either part may be None (mechanistic-only or neural-only)."""

    def __init__(
        self,
        known: CartPoleDynamics | None,
        neural: MLPField | None,
        control_dt: float,
        substeps: int = 2,
    ) -> None:
        super().__init__()
        if known is None and neural is None:
            raise ValueError("a ControlledODE needs a known part, a neural part, or both")
        if control_dt <= 0 or substeps < 1:
            raise ValueError(
                f"control_dt must be > 0 and substeps >= 1, got {control_dt}, {substeps}"
            )
        self.known, self.neural = known, neural
        self.control_dt, self.substeps = control_dt, substeps

    def derivative(self, state: Tensor, action: Tensor) -> Tensor:
        out = self.known(state, action) if self.known is not None else 0.0
        if self.neural is not None:
            out = out + self.neural(state.new_zeros(1), self.features(state), action)
        return out

    @staticmethod
    def features(state: Tensor) -> Tensor:
        """The neural term's view of a state: the observation (the angle through cos and sin)."""
        return CartPoleDynamics.obs_from_state(state)

    def step(self, state: Tensor, action: Tensor) -> Tensor:
        """The state one control interval later, under constant ``action``."""
        h = self.control_dt / self.substeps
        for _ in range(self.substeps):
            k1 = self.derivative(state, action)
            k2 = self.derivative(state + 0.5 * h * k1, action)
            k3 = self.derivative(state + 0.5 * h * k2, action)
            k4 = self.derivative(state + h * k3, action)
            state = state + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        return state

    def rollout(self, state: Tensor, actions: Tensor) -> Tensor:
        """States ``[H, ..., 4]`` after each of ``actions[H, ..., A]``."""
        out = []
        for action in actions:
            state = self.step(state, action)
            out.append(state)
        return torch.stack(out)


def window_loss(model: ControlledODE, batch: Batch, scale: Tensor) -> Tensor:
    """Mean squared multi-step prediction error over a batch of windows, in observation space
    scaled per dimension by ``scale``."""
    obs = batch.obs["proprio"]
    start = CartPoleDynamics.state_from_obs(obs[0])
    predicted = CartPoleDynamics.obs_from_state(model.rollout(start, batch.action))
    return (((predicted - obs[1:]) / scale) ** 2).mean()


def fit_controlled(
    model: ControlledODE,
    data: EpisodeDataset,
    steps: int = 300,
    horizon: int = 10,
    batch_size: int = 64,
    learning_rate: float = 3e-3,
    seed: int = 0,
) -> list[float]:
    """Train κ and θ of ``model`` on ``horizon``-step windows of ``data``; the loss history."""
    params = [p for p in model.parameters() if p.requires_grad]
    if not params:
        raise ValueError("the model has no trainable parameters")
    sampler = WindowSampler(data, horizon, seed)
    scale = data.obs["proprio"].float().std(0).clamp_min(1e-3)
    optimiser = torch.optim.Adam(params, lr=learning_rate)
    history = []
    for _ in range(steps):
        loss = window_loss(model, sampler.sample(batch_size), scale)
        optimiser.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 10.0)
        optimiser.step()
        history.append(loss.item())
    return history


def residual_network(data: EpisodeDataset, hidden: int = 64) -> MLPField:
    """A residual f_θ(y, u) for the cart-pole, normalised to the episodes in ``data``."""
    obs = data.obs["proprio"].float()
    return MLPField(5, hidden, 2, obs.mean(0), obs.std(0).clamp_min(1e-3),
                    out_scale=1.0, extra_inputs=data.action_dim, out_dim=4)  # fmt: skip
