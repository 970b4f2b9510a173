"""TD-MPC2's update: latent consistency, reward, value and termination losses over a horizon
(weighted ``rho**t``), optional decoder losses, and a SAC-style policy prior.

``WorldModelTrainer.update(batch)`` is the online-learning API: give it a :class:`Batch` of
sub-trajectories, it takes one gradient step and returns the losses as 0-d tensors. The Q
ensemble learns TD targets (TD-MPC2's) or, offline, the logged episodes' discounted returns
(``TrainerConfig.value_target``).
"""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from runkit.preflight import UsageError
from worldmodels import twohot
from worldmodels.config import VALUE_TARGETS, TrainerConfig
from worldmodels.data import Batch, ReturnToGo
from worldmodels.encoders import is_image, random_shift
from worldmodels.model import WorldModel


class RunningScale(nn.Module):
    """Moving 5–95 percentile range of Q values that normalises the policy loss (≥ 1)."""

    def __init__(self, tau: float) -> None:
        super().__init__()
        self.tau = tau
        self.register_buffer("value", torch.ones(()))

    def update(self, x: Tensor) -> None:
        q = torch.quantile(
            x.detach().float().flatten(), torch.tensor([0.05, 0.95], device=x.device)
        )
        self.value.lerp_((q[1] - q[0]).clamp(min=1.0), self.tau)


def on_with_cuda(flag: bool | None, device: torch.device) -> bool:
    """``flag``, or (when it is None) whether ``device`` is a CUDA device."""
    return device.type == "cuda" if flag is None else flag


def check_value_target(cfg: TrainerConfig, online: bool = False) -> None:
    """Raise :class:`UsageError` for an unknown ``value_target``, or one that needs complete
    logged episodes when the trainer learns ``online`` (from a replay buffer)."""
    if cfg.value_target not in VALUE_TARGETS:
        raise UsageError(
            f"trainer.value_target={cfg.value_target!r}: no such target; "
            f"valid: {', '.join(VALUE_TARGETS)}"
        )
    if online and cfg.value_target != "td":
        raise UsageError(
            f"trainer.value_target={cfg.value_target}: online learning (agent=wm_mpc) has no "
            "complete episodes to take returns from; use trainer.value_target=td, or train "
            "offline with python -m worldmodels.train"
        )


class WorldModelTrainer:
    """Optimisers, target Q ensemble and the losses of one :class:`WorldModel`."""

    def __init__(
        self, model: WorldModel, cfg: TrainerConfig, device: torch.device, seed: int = 0
    ) -> None:
        check_value_target(cfg)
        self.model = model.to(device)
        self.cfg = cfg
        self.device = device
        self.target_q = copy.deepcopy(model.q_heads).requires_grad_(False)
        self.scale = RunningScale(cfg.tau).to(device)
        self.generator = torch.Generator(device).manual_seed(seed)
        encoder = list(model.encoder.parameters())
        pi = list(model.pi.parameters())
        skip = {id(p) for p in encoder + pi}
        rest = [p for p in model.parameters() if id(p) not in skip]
        self.model_optim = torch.optim.Adam(
            [
                {"params": encoder, "lr": cfg.learning_rate * cfg.encoder_lr_scale},
                {"params": rest, "lr": cfg.learning_rate},
            ],
            fused=True,  # one kernel for all parameters (the per-tensor loop is slow on a CPU)
        )
        self.pi_optim = torch.optim.Adam(pi, lr=cfg.learning_rate, eps=1e-5, fused=True)
        self.rho = cfg.rho ** torch.arange(cfg.horizon + 1, device=device, dtype=torch.float32)
        self.amp = on_with_cuda(cfg.amp, device)
        self.compiled = on_with_cuda(cfg.compile, device)
        self._model_loss: Callable[..., Any] = (
            torch.compile(self.model_loss) if self.compiled else self.model_loss
        )
        self._pi_loss: Callable[..., Any] = (
            torch.compile(self.pi_loss) if self.compiled else self.pi_loss
        )

    def autocast(self) -> contextlib.AbstractContextManager:
        if not self.amp:
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=torch.bfloat16)

    def _randn(self, *shape: int) -> Tensor:
        return torch.randn(shape, generator=self.generator, device=self.device)

    def _modality_mask(self, batch_size: int) -> dict[str, Tensor] | None:
        """Hide each modality of each sample with probability ``modality_dropout`` (≥ 1 kept)."""
        p = self.cfg.modality_dropout
        names = self.model.encoder.modalities
        if p <= 0 or len(names) < 2:
            return None
        u = torch.rand(batch_size, len(names), generator=self.generator, device=self.device)
        keep = u >= p
        keep[torch.arange(batch_size, device=self.device), u.argmax(1)] = True
        return {name: keep[:, i] for i, name in enumerate(names)}

    def target_value(self, z: Tensor, noise: Tensor | None = None) -> Tensor:
        """The min of two random target Q members at ``z`` and the policy's action there (with
        ``noise``; its mean action without)."""
        action = self.model.policy_action(z, noise)
        members = self.model.q_pair(self.generator)
        return self.model.q_values(z, action, self.target_q, members).min(0).values

    def td_target(
        self, next_z: Tensor, reward: Tensor, terminated: Tensor, noise: Tensor
    ) -> Tensor:
        """``r + discount·(1 − done)·``:meth:`target_value` at ``z'``."""
        q = self.target_value(next_z, noise)
        return reward + self.cfg.discount * (1 - terminated.float()) * q

    def return_target(self, returns: ReturnToGo) -> Tensor:
        """The logged discounted returns ``[H, B]``, each episode's cut tail worth
        :meth:`target_value` (the policy's mean action) at its last observation."""
        z = self.model.encode(returns.tail_obs)
        return returns.partial + returns.tail_discount * self.target_value(z)

    def value_target(self, batch: Batch, next_z: Tensor, noise: Tensor) -> Tensor:
        """The Q ensemble's targets ``[H, B]`` as ``value_target`` says (see TrainerConfig)."""
        kind = self.cfg.value_target
        if kind == "td":
            return self.td_target(next_z, batch.reward, batch.terminated, noise)
        if batch.returns is None:
            raise UsageError(
                f"trainer.value_target={kind} needs batches with the episodes' returns "
                "(WindowSampler(..., discount=...)); this one has none"
            )
        mc = self.return_target(batch.returns)
        if kind == "return":
            return mc
        return torch.maximum(mc, self.td_target(next_z, batch.reward, batch.terminated, noise))

    def model_loss(
        self,
        batch: Batch,
        views: dict[str, Tensor],
        noise: Tensor,
        mask: dict[str, Tensor] | None,
        td: Tensor | None,
    ) -> tuple[Tensor, Tensor, dict[str, Tensor]]:
        """Total loss, the imagined latents ``[H+1, B, Z]`` and the loss terms.

        ``views`` are the observations the encoder sees (``batch.obs`` augmented); the
        decoders reconstruct ``batch.obs`` itself.
        """
        cfg, model, h = self.cfg, self.model, batch.action.shape[0]
        rho = self.rho[:h]
        with torch.no_grad():
            next_z = model.encode({k: v[1:] for k, v in views.items()})
            if td is None:
                td = self.value_target(batch, next_z, noise)
        z = model.encode({k: v[0] for k, v in views.items()}, mask)
        zs, consistency = [z], []
        for t in range(h):
            z_all = model.next_all(z, batch.action[t])
            consistency.append(F.mse_loss(z_all.float(), next_z[t].float().expand_as(z_all)))
            z = z_all.mean(0)
            zs.append(z)
        zs_t = torch.stack(zs)
        reward_ce = twohot.soft_ce(
            model.reward_logits(zs_t[:-1], batch.action), batch.reward, model.bins
        )
        value_ce = twohot.soft_ce(model.q_logits(zs_t[:-1], batch.action), td[None], model.bins)
        term = F.binary_cross_entropy_with_logits(
            model.termination_logit(zs_t[1:]).float(), batch.terminated.float(), reduction="none"
        )
        terms = {
            "consistency": (torch.stack(consistency) * rho).sum() / h,
            "reward": (reward_ce.mean(1) * rho).sum() / h,
            "value": (value_ce.mean((0, 2)) * rho).sum() / h,
            "termination": (term.mean(1) * rho).sum() / h,
        }
        total = (
            cfg.consistency_coef * terms["consistency"]
            + cfg.reward_coef * terms["reward"]
            + cfg.value_coef * terms["value"]
            + cfg.termination_coef * terms["termination"]
        )
        if model.decoders:
            terms["decoder"] = self.decoder_loss(zs_t, batch.obs)
            total = total + cfg.decoder_coef * terms["decoder"]
        return total, zs_t, terms

    def augment(self, obs: dict[str, Tensor]) -> dict[str, Tensor]:
        """``obs[name][H+1, B, ...]`` with every image of every step and sample shifted at
        random by up to ``image_shift`` pixels (:func:`random_shift`); vectors unchanged."""
        pad, shapes = self.cfg.image_shift, self.model.encoder.obs_shapes
        return {
            name: random_shift(x.flatten(0, 1), pad, self.generator).reshape(x.shape)
            if is_image(shapes.get(name, ()))
            else x
            for name, x in obs.items()
        }

    def decoder_loss(self, zs: Tensor, obs: dict[str, Tensor]) -> Tensor:
        """MSE of each decoded modality along the imagined latents, weighted ``rho**t``."""
        rho = self.rho[: zs.shape[0]]
        loss = zs.new_zeros((), dtype=torch.float32)
        for name, decoder in self.model.decoders.items():
            pred = decoder(zs.flatten(0, 1)).float()
            target = self.model.decoder_target(name, obs[name].flatten(0, 1))
            err = (pred - target).pow(2).reshape(zs.shape[0], -1).mean(1)
            loss = loss + (err * rho).sum() / zs.shape[0]
        return loss

    def pi_loss(self, zs: Tensor, noise: Tensor) -> Tensor:
        """SAC-style: maximise the scaled Q (mean of two random members) of the policy's action
        plus a little entropy."""
        action, log_prob = self.model.policy(zs, noise)
        q = self.model.q_values(zs, action, members=self.model.q_pair(self.generator)).mean(0)
        self.scale.update(q[0])
        rho = self.rho[: zs.shape[0]]
        entropy_coef = self.cfg.entropy_coef * self.model.action_dim  # TD-MPC2's scaling
        per_t = (entropy_coef * log_prob - q / self.scale.value).mean(1)
        return (per_t * rho).sum() / rho.sum()

    def update(self, batch: Batch) -> dict[str, Tensor]:
        """One gradient step on ``batch``; returns the loss terms (0-d tensors, not synced)."""
        model, cfg = self.model, self.cfg
        batch = batch.to(self.device)
        h, b = batch.action.shape[:2]
        model.train()
        noise = self._randn(h, b, self.model.action_dim)
        mask = self._modality_mask(b)
        with self.autocast():
            total, zs, terms = self._model_loss(batch, self.augment(batch.obs), noise, mask, None)
        self.model_optim.zero_grad(set_to_none=True)
        total.backward()
        params = [p for group in self.model_optim.param_groups for p in group["params"]]
        terms["grad_norm"] = nn.utils.clip_grad_norm_(params, cfg.grad_clip_norm)
        self.model_optim.step()

        model.q_heads.requires_grad_(False)
        with self.autocast():
            pi_loss = self._pi_loss(zs.detach(), self._randn(h + 1, b, self.model.action_dim))
        self.pi_optim.zero_grad(set_to_none=True)
        pi_loss.backward()
        nn.utils.clip_grad_norm_(model.pi.parameters(), cfg.grad_clip_norm)
        self.pi_optim.step()
        model.q_heads.requires_grad_(True)

        with torch.no_grad():
            for target, online in zip(
                self.target_q.parameters(), model.q_heads.parameters(), strict=True
            ):
                target.lerp_(online, cfg.tau)
        terms.update(total=total.detach(), pi=pi_loss.detach())
        return {k: v.detach() for k, v in terms.items()}

    def state_dict(self) -> dict[str, Any]:
        """Everything besides the model's weights that a resumed run needs."""
        return {
            "target_q": self.target_q.state_dict(),
            "scale": self.scale.state_dict(),
            "model_optim": self.model_optim.state_dict(),
            "pi_optim": self.pi_optim.state_dict(),
            "generator": self.generator.get_state(),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.target_q.load_state_dict(state["target_q"])
        self.scale.load_state_dict(state["scale"])
        self.model_optim.load_state_dict(state["model_optim"])
        self.pi_optim.load_state_dict(state["pi_optim"])
        self.generator.set_state(state["generator"])
