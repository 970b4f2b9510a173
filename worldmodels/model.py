"""The latent world model in the style of TD-MPC2, and the interface a planner drives.

``encode(obs) -> z``; ``score(z, actions[B, N, H, A]) -> [B, N]`` (discounted rewards along the
imagined trajectory, continuation-weighted, plus a terminal value); ``policy_rollout(z, num,
horizon) -> [B, num, H, A]`` (trajectories of the policy prior). Latents are SimNorm-ed;
reward and Q are 101-bin two-hot distributions in symlog space; the dynamics may be an
ensemble whose disagreement is exposed by ``uncertainty``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict

import torch
from torch import Tensor, nn

from worldmodels import twohot
from worldmodels.config import WorldModelConfig
from worldmodels.decoders import build_decoders
from worldmodels.encoders import MultiModalEncoder, image_to_float
from worldmodels.layers import EnsembleLinear, SimNorm, ensemble_mlp, mlp


class WorldModel(nn.Module):
    """Encoder, dynamics (ensemble), reward, termination, Q ensemble, policy prior, decoders."""

    def __init__(
        self,
        cfg: WorldModelConfig,
        obs_shapes: Mapping[str, tuple[int, ...]],
        action_dim: int,
        action_bounds: tuple[Sequence[float], Sequence[float]] | None = None,
    ) -> None:
        super().__init__()
        self.cfg = cfg
        self.obs_shapes = {k: tuple(int(d) for d in v) for k, v in obs_shapes.items()}
        self.action_dim = action_dim
        self.action_bounds = (
            None
            if action_bounds is None
            else tuple([float(x) for x in bound] for bound in action_bounds)
        )
        low, high = (
            torch.as_tensor(b, dtype=torch.float32).expand(action_dim)
            for b in (action_bounds or (-1.0, 1.0))
        )
        self.register_buffer("action_mid", (high + low) / 2, persistent=False)
        self.register_buffer("action_half", (high - low) / 2, persistent=False)
        z, h, act = cfg.latent_dim, cfg.hidden_dim, cfg.activation
        za = z + action_dim
        self.encoder = MultiModalEncoder(cfg, self.obs_shapes)
        self.dynamics = nn.ModuleList(
            mlp([za, h, h, z], act, SimNorm(cfg.simnorm_group)) for _ in range(cfg.num_dynamics)
        )
        self.reward_head = mlp([za, h, h, cfg.num_bins], act)
        self.termination_head = mlp([z, h, 1], act)
        self.q_heads = ensemble_mlp(cfg.num_q, [za, h, h, cfg.num_bins], act)
        self.pi = mlp([z, h, h, 2 * action_dim], act)
        self.decoders = build_decoders(cfg, self.obs_shapes) if cfg.decoder else nn.ModuleDict()
        self.register_buffer("bins", torch.linspace(cfg.vmin, cfg.vmax, cfg.num_bins))
        with torch.no_grad():  # TD-MPC2 starts reward and Q at exactly 0
            for head in (self.reward_head[-1], self.q_heads[-1]):
                head.weight.zero_()

    def spec(self) -> dict:
        """What rebuilds this model: its config, observation shapes and action size (and the
        env's action bounds, for a model that acts in units of them)."""
        spec = {
            "config": asdict(self.cfg),
            "obs_shapes": {k: list(v) for k, v in self.obs_shapes.items()},
            "action_dim": self.action_dim,
        }
        if self.action_bounds is not None:
            spec["action_bounds"] = [list(b) for b in self.action_bounds]
        return spec

    @classmethod
    def from_spec(cls, spec: Mapping) -> WorldModel:
        return cls(
            WorldModelConfig(**spec["config"]),
            {k: tuple(v) for k, v in spec["obs_shapes"].items()},
            int(spec["action_dim"]),
            spec.get("action_bounds"),
        )

    # actions: the model's heads and its policy (tanh-squashed) act in [-1, 1] units of the
    # ``action_bounds`` box (TD-MPC2 rescales every action space so); without bounds the unit
    # is the env's own

    def action_to_unit(self, action: Tensor) -> Tensor:
        """Env action ``[..., A]`` in the model's units."""
        return (action - self.action_mid) / self.action_half

    def action_from_unit(self, action: Tensor) -> Tensor:
        """Model-unit action ``[..., A]`` in the env's units."""
        return self.action_mid + self.action_half * action

    def fit_normalizers(self, obs: Mapping[str, Tensor]) -> None:
        """Standardise each vector modality with the mean and std of ``obs[name][N, D]``."""
        for name, norm in self.encoder.normalizers.items():
            norm.fit(obs[name].float())

    # latent state and its transitions

    def encode(self, obs: Mapping[str, Tensor], mask: Mapping[str, Tensor] | None = None) -> Tensor:
        """Latent ``[..., Z]`` of observations ``obs[name][..., *shape]`` (see the encoder)."""
        return self.encoder(obs, mask)

    def next_all(self, z: Tensor, a: Tensor) -> Tensor:
        """Next latent by every dynamics member: ``[E, ..., Z]``."""
        za = torch.cat([z, a.to(z.dtype)], -1)
        return torch.stack([f(za) for f in self.dynamics])

    def next(self, z: Tensor, a: Tensor) -> Tensor:
        """Next latent: the ensemble mean (a mean of SimNorm-ed latents is SimNorm-ed)."""
        if len(self.dynamics) == 1:
            return self.dynamics[0](torch.cat([z, a.to(z.dtype)], -1))
        return self.next_all(z, a).mean(0)

    def uncertainty(self, z: Tensor, a: Tensor) -> Tensor:
        """Disagreement of the dynamics ensemble: summed variance over the latent, ``[...]``."""
        if len(self.dynamics) == 1:
            return torch.zeros(z.shape[:-1], device=z.device)
        return self.next_all(z, a).float().var(0).sum(-1)

    # heads

    def reward_logits(self, z: Tensor, a: Tensor) -> Tensor:
        return self.reward_head(torch.cat([z, a.to(z.dtype)], -1))

    def reward(self, z: Tensor, a: Tensor) -> Tensor:
        return twohot.decode(self.reward_logits(z, a), self.bins)

    def termination_logit(self, z: Tensor) -> Tensor:
        """Logit that the state ``z`` (reached after an action) ends the episode, ``[...]``."""
        return self.termination_head(z).squeeze(-1)

    def q_logits(
        self,
        z: Tensor,
        a: Tensor,
        heads: nn.Module | None = None,
        members: Tensor | None = None,
    ) -> Tensor:
        """Logits of the Q members (of ``heads``, default the online ones; only those indexed by
        ``members`` if given, ``M`` of them): ``[M, ..., bins]``."""
        za = torch.cat([z, a.to(z.dtype)], -1)
        lead = za.shape[:-1]
        count = self.cfg.num_q if members is None else len(members)
        x = za.reshape(1, -1, za.shape[-1]).expand(count, -1, -1)
        for layer in heads or self.q_heads:
            if isinstance(layer, EnsembleLinear) and members is not None:
                x = torch.baddbmm(layer.bias[members], x, layer.weight[members])
            else:
                x = layer(x)
        return x.reshape(count, *lead, -1)

    def q_pair(self, generator: torch.Generator | None = None) -> Tensor:
        """Indices of two random Q members (TD-MPC2 takes the min or the mean of such a pair)."""
        return torch.randperm(self.cfg.num_q, generator=generator, device=self.bins.device)[:2]

    def q_values(
        self,
        z: Tensor,
        a: Tensor,
        heads: nn.Module | None = None,
        members: Tensor | None = None,
    ) -> Tensor:
        """The value of each Q member (see :meth:`q_logits`), ``[M, ...]``."""
        return twohot.decode(self.q_logits(z, a, heads, members), self.bins)

    def _policy_gaussian(self, z: Tensor) -> tuple[Tensor, Tensor]:
        """Mean and log-std of the policy's Gaussian before the tanh squashing."""
        mu, log_std = self.pi(z).float().chunk(2, -1)
        lo, hi = self.cfg.log_std_min, self.cfg.log_std_max
        return mu, lo + 0.5 * (hi - lo) * (torch.tanh(log_std) + 1)

    def policy(self, z: Tensor, noise: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """Squashed-Gaussian action and its log-probability (the mean action without ``noise``)."""
        mu, log_std = self._policy_gaussian(z)
        eps = torch.zeros_like(mu) if noise is None else noise
        pre = mu + eps * log_std.exp()
        log_prob = (-0.5 * eps.pow(2) - log_std - 0.5 * math.log(2 * math.pi)).sum(-1)
        action = torch.tanh(pre)
        log_prob = log_prob - torch.log(torch.relu(1 - action.pow(2)) + 1e-6).sum(-1)
        return action, log_prob

    def policy_action(self, z: Tensor, noise: Tensor | None = None) -> Tensor:
        """The action of :meth:`policy`, bit for bit, without its log-probability (planning)."""
        mu, log_std = self._policy_gaussian(z)
        return torch.tanh(mu if noise is None else mu + noise * log_std.exp())

    # decoders

    def decode(self, z: Tensor) -> dict[str, Tensor]:
        """Observations predicted from ``z[N, Z]``: vectors in raw units, images in [0, 1]."""
        out = {}
        for name, decoder in self.decoders.items():
            x = decoder(z)
            if name in self.encoder.normalizers:
                x = self.encoder.normalizers[name].inverse(x)
            out[name] = x
        return out

    def decoder_target(self, name: str, x: Tensor) -> Tensor:
        """``x[N, ...]`` in the scale decoder ``name`` predicts (standardised / [0, 1])."""
        if name in self.encoder.normalizers:
            return self.encoder.normalizers[name](x.float())
        y = image_to_float(x).permute(0, 2, 3, 1)
        return y if len(self.obs_shapes[name]) == 3 else y.squeeze(-1)

    def predict(self, obs: Mapping[str, Tensor], actions: Tensor) -> dict[str, Tensor]:
        """Open-loop predictions from ``obs[name][B, ...]`` under ``actions[H, B, A]``.

        Returns ``[H, B, ...]`` per decoded modality: the prediction after each action.
        """
        z = self.encode(obs)
        steps = []
        for a in actions:
            z = self.next(z, a)
            steps.append(self.decode(z))
        return {name: torch.stack([s[name] for s in steps]) for name in self.decoders}

    def predict_rewards(self, obs: Mapping[str, Tensor], actions: Tensor) -> Tensor:
        """Rewards ``[H, B]`` the reward head expects along ``actions[H, B, A]``, open-loop."""
        z, rewards = self.encode(obs), []
        for a in actions:
            rewards.append(self.reward(z, a).reshape(z.shape[0]))
            z = self.next(z, a)
        return torch.stack(rewards)

    # planner interface

    def value(
        self, z: Tensor, actions: Tensor, discount: float = 0.99, members: Tensor | None = None
    ) -> Tensor:
        """Discounted rewards along ``actions[M, H, A]`` from ``z[M, Z]`` plus the terminal Q:
        the mean of the Q members indexed by ``members`` (default all of them)."""
        steps = actions.transpose(0, 1)  # [H, M, A]
        zs = [z]
        for a in steps:  # only the dynamics is sequential; the heads see all steps at once
            zs.append(self.next(zs[-1], a))
        z_all = torch.stack(zs)  # [H+1, M, Z]
        rewards = self.reward(z_all[:-1], steps)  # [H, M]
        alive = discount * (1 - torch.sigmoid(self.termination_logit(z_all[1:]).float()))
        # weight of step t: the discounted chance that steps 0..t-1 did not end the episode
        weights = torch.cat([torch.ones_like(alive[:1]), alive.cumprod(0)])  # [H+1, M]
        terminal = self.q_values(z_all[-1], self.policy_action(z_all[-1]), members=members).mean(0)
        return (weights[:-1] * rewards).sum(0) + weights[-1] * terminal

    def score(
        self, z: Tensor, actions: Tensor, discount: float = 0.99, members: Tensor | None = None
    ) -> Tensor:
        """Planner score: ``z[B, Z]``, ``actions[B, N, H, A]`` -> returns ``[B, N]`` (see
        :meth:`value`)."""
        b, n = actions.shape[:2]
        zs = z.unsqueeze(1).expand(-1, n, -1).reshape(b * n, -1)
        return self.value(zs, actions.flatten(0, 1), discount, members).view(b, n)

    def policy_rollout(
        self, z: Tensor, num: int, horizon: int, generator: torch.Generator | None = None
    ) -> Tensor:
        """``num`` trajectories of the policy from ``z[B, Z]``: ``[B, num, H, A]``.

        With a ``generator`` actions are sampled; without, every trajectory is the mean one.
        """
        b = z.shape[0]
        z = z.unsqueeze(1).expand(-1, num, -1).reshape(b * num, -1)
        steps = []
        for t in range(horizon):
            noise = None
            if generator is not None:
                shape = (b * num, self.action_dim)
                noise = torch.randn(shape, generator=generator, device=z.device)
            a = self.policy_action(z, noise)
            steps.append(a)
            if t < horizon - 1:
                z = self.next(z, a)
        return torch.stack(steps, 1).view(b, num, horizon, -1)
