"""A randomly initialised latent world model with TD-MPC2's default (~5M parameter) shapes.

Encoder, latent dynamics, reward head, 5-member Q ensemble and policy prior, each an MLP with
LayerNorm + Mish hidden layers; latents are SimNorm-ed; reward and Q are 101-bin two-hot
distributions in symlog space decoded to a scalar. Only inference is needed here.
"""

from __future__ import annotations

import copy
import itertools

import torch
from torch import Tensor, nn

from worldmodels.layers import ExpMish

LATENT = 512
HIDDEN = 512
ENC_HIDDEN = 256
BINS = 101
VMIN, VMAX = -10.0, 10.0
SIMNORM_GROUP = 8
NUM_Q = 5
DISCOUNT = 0.99


class SimNorm(nn.Module):
    """Softmax over consecutive groups of ``SIMNORM_GROUP`` features."""

    def forward(self, x: Tensor) -> Tensor:
        shape = x.shape
        return x.unflatten(-1, (-1, SIMNORM_GROUP)).softmax(-1).reshape(shape)


def with_exp_mish(model: nn.Module) -> nn.Module:
    """A copy of ``model`` (same weights) whose ``nn.Mish`` layers are :class:`ExpMish`."""
    model = copy.deepcopy(model)
    for module in model.modules():
        for name, child in module.named_children():
            if isinstance(child, nn.Mish):
                setattr(module, name, ExpMish())
    return model


def mlp(sizes: list[int], out_act: nn.Module | None = None) -> nn.Sequential:
    """Linears with LayerNorm + Mish between them; ``out_act`` adds LayerNorm + it at the end."""
    layers: list[nn.Module] = []
    for i, (n_in, n_out) in enumerate(itertools.pairwise(sizes)):
        layers.append(nn.Linear(n_in, n_out))
        if i < len(sizes) - 2:
            layers += [nn.LayerNorm(n_out), nn.Mish()]
        elif out_act is not None:
            layers += [nn.LayerNorm(n_out), out_act]
    return nn.Sequential(*layers)


class WorldModel(nn.Module):
    """TD-MPC2-sized world model; ``score`` and ``policy_rollout`` feed a sampling planner."""

    def __init__(self, obs_dim: int = 24, action_dim: int = 6) -> None:
        super().__init__()
        self.action_dim = action_dim
        za = LATENT + action_dim
        self.encoder = mlp([obs_dim, ENC_HIDDEN, LATENT], SimNorm())
        self.dynamics = mlp([za, HIDDEN, HIDDEN, LATENT], SimNorm())
        self.reward_head = mlp([za, HIDDEN, HIDDEN, BINS])
        self.q_heads = nn.ModuleList(mlp([za, HIDDEN, HIDDEN, BINS]) for _ in range(NUM_Q))
        self.pi = mlp([LATENT, HIDDEN, HIDDEN, 2 * action_dim])
        self.register_buffer("bins", torch.linspace(VMIN, VMAX, BINS))

    def decode(self, logits: Tensor) -> Tensor:
        """Expected value of a two-hot symlog distribution, mapped back by symexp."""
        x = (logits.float().softmax(-1) * self.bins).sum(-1)
        return torch.sign(x) * (torch.exp(x.abs()) - 1)

    def encode(self, obs: Tensor) -> Tensor:
        return self.encoder(obs)

    def next(self, z: Tensor, a: Tensor) -> Tensor:
        return self.dynamics(torch.cat([z, a.to(z.dtype)], -1))

    def reward(self, z: Tensor, a: Tensor) -> Tensor:
        return self.decode(self.reward_head(torch.cat([z, a.to(z.dtype)], -1)))

    def policy(self, z: Tensor) -> Tensor:
        """Mean action of the squashed Gaussian policy (deterministic, for reproducible plans)."""
        mu, _log_std = self.pi(z).chunk(2, -1)
        return torch.tanh(mu)

    def q(self, z: Tensor, a: Tensor) -> Tensor:
        """Average of two ensemble members, as TD-MPC2's ``return_type='avg'`` (a fixed pair)."""
        za = torch.cat([z, a.to(z.dtype)], -1)
        return (self.decode(self.q_heads[0](za)) + self.decode(self.q_heads[1](za))) / 2

    def value(self, z: Tensor, actions: Tensor) -> Tensor:
        """Discounted rewards along ``actions[M, H, A]`` from ``z[M, Z]`` plus the terminal Q."""
        ret = torch.zeros(z.shape[0], device=z.device)
        discount = 1.0
        for t in range(actions.shape[1]):
            a = actions[:, t]
            ret = ret + discount * self.reward(z, a)
            z = self.next(z, a)
            discount *= DISCOUNT
        return ret + discount * self.q(z, self.policy(z))

    def score(self, z: Tensor, actions: Tensor) -> Tensor:
        """Planner score: ``z[B, Z]``, ``actions[B, N, H, A]`` -> returns ``[B, N]``."""
        b, n = actions.shape[:2]
        zs = z.unsqueeze(1).expand(-1, n, -1).reshape(b * n, -1)
        return self.value(zs, actions.flatten(0, 1)).view(b, n)

    def policy_rollout(self, z: Tensor, num: int, horizon: int) -> Tensor:
        """``num`` copies of the policy's trajectory from ``z[B, Z]``: ``[B, num, H, A]``."""
        b = z.shape[0]
        z = z.unsqueeze(1).expand(-1, num, -1).reshape(b * num, -1)
        steps = []
        for t in range(horizon):
            a = self.policy(z)
            steps.append(a)
            if t < horizon - 1:
                z = self.next(z, a)
        return torch.stack(steps, 1).view(b, num, horizon, -1)
