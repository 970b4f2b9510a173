"""Shared loop of the sampling-based trajectory optimisers (CEM, MPPI).

Each call to :meth:`SamplingPlanner.plan` optimises a Gaussian over action sequences of shape
``[B, H, A]`` (``B`` independent problems, horizon ``H``, action size ``A``): sample ``N``
sequences, score them, keep the ``K`` best (the elites), and refit mean and std to the elites
with weights that a subclass chooses. CEM and MPPI differ only in those weights.

Speed: the noise for every iteration is drawn in one call before the loop (fused sampling), so
the loop itself has no host synchronisation and no Python branch on tensor values. With
``compile=True`` the whole loop, including ``score_fn`` and ``policy_prior``, is compiled as
one graph (CUDA graphs via ``mode="reduce-overhead"`` on CUDA); with ``autocast_dtype`` the
score and prior functions run under autocast while the plan statistics stay in ``dtype``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor

from planning.budget import Budget
from planning.sampling_config import SamplingConfig, check_field  # noqa: F401  (re-exported)

ScoreFn = Callable[[Tensor], Tensor]
"""``score_fn(actions[B, N, H, A]) -> returns[B, N]``, higher is better."""
PolicyPrior = Callable[[], Tensor]
"""``policy_prior() -> actions[B, P, H, A]`` proposed by a policy, ``P = num_policy_samples``."""


class SamplingPlanner:
    """Iterative sampling planner over ``batch_size`` independent problems.

    Subclasses implement :meth:`_elite_weights`. ``action_low``/``action_high`` are floats or
    tensors of shape ``[action_dim]``; samples are clamped to them. ``dtype`` is the dtype of the
    sampling distribution and of the returned plan.
    """

    def __init__(
        self,
        action_dim: int,
        config: SamplingConfig,
        action_low: float | Tensor = -1.0,
        action_high: float | Tensor = 1.0,
        batch_size: int = 1,
        device: str | torch.device = "cpu",
        dtype: torch.dtype = torch.float32,
    ) -> None:
        if action_dim < 1:
            raise ValueError(f"action_dim must be >= 1, got {action_dim}")
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        self.config = config
        self.action_dim = action_dim
        self.batch_size = batch_size
        self.device = torch.device(device)
        self.dtype = dtype
        self.action_low = self._bound(action_low, "action_low")
        self.action_high = self._bound(action_high, "action_high")
        if not bool((self.action_low < self.action_high).all()):
            raise ValueError("action_low must be < action_high in every dimension")
        self._generator = torch.Generator(device=self.device).manual_seed(config.seed)
        self._mean: Tensor | None = None
        self._std: Tensor | None = None
        self._compiled = self._compile() if config.compile else None

    # ---- public API -------------------------------------------------------------------------

    def plan(
        self,
        score_fn: ScoreFn,
        policy_prior: PolicyPrior | None = None,
        budget: Budget | None = None,
    ) -> Tensor:
        """Optimise and return the mean of the final distribution, shape ``[B, H, A]``.

        Starts from the previous plan shifted by one step (std reset to ``max_std``). The
        policy prior is called once per plan (ignored when ``num_policy_samples`` is 0); its
        sequences take the first ``P`` sample slots in every iteration. ``budget.max_steps``
        caps iterations (one step per iteration); ``budget.max_seconds`` is checked before
        every iteration in eager mode, while the compiled loop checks the clock only once,
        before it starts, and then runs all its iterations.
        """
        cfg = self.config
        iterations = self._allowed_iterations(budget)
        mean = self._warm_start()
        std = torch.full_like(mean, cfg.max_std)
        prior = policy_prior if cfg.num_policy_samples > 0 else None
        num_random = cfg.num_samples - (0 if prior is None else cfg.num_policy_samples)
        shape = (iterations, self.batch_size, num_random, cfg.horizon, self.action_dim)
        noise = torch.randn(shape, generator=self._generator, device=self.device, dtype=self.dtype)
        with torch.no_grad():
            if self._compiled is None or iterations == 0:
                mean, std = self._optimize(mean, std, noise, score_fn, prior, budget)
            else:
                if self.device.type == "cuda":
                    torch.compiler.cudagraph_mark_step_begin()
                mean, std = (t.clone() for t in self._compiled(mean, std, noise, score_fn, prior))
                if budget is not None:
                    budget.tick(iterations)
        # a weighted mean of in-bounds samples can leave the bounds by a rounding error
        mean = torch.clamp(mean, self.action_low, self.action_high)
        self._mean, self._std = mean, std
        return mean.clone()

    @property
    def std(self) -> Tensor | None:
        """The std ``[B, H, A]`` of the last plan's final distribution (None before a plan)."""
        return self._std

    def reset(self) -> None:
        """Forget the warm start (call at the start of a new episode)."""
        self._mean = self._std = None

    def state_dict(self) -> dict[str, Any]:
        """Last plan's mean and std (the warm start) and the random generator state."""
        return {
            "mean": None if self._mean is None else self._mean.cpu(),
            "std": None if self._std is None else self._std.cpu(),
            "generator": self._generator.get_state(),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore :meth:`state_dict` output; later plans match an uninterrupted run."""
        shape = (self.batch_size, self.config.horizon, self.action_dim)
        for key in ("mean", "std"):
            value = state[key]
            if value is not None and tuple(value.shape) != shape:
                raise ValueError(f"state {key!r} has shape {tuple(value.shape)}, expected {shape}")
        self._mean, self._std = (
            None if state[k] is None else state[k].to(self.device, self.dtype)
            for k in ("mean", "std")
        )
        self._generator.set_state(state["generator"])

    # ---- subclass hook ------------------------------------------------------------------------

    def _elite_weights(self, elite_scores: Tensor) -> Tensor:
        """Weights ``[B, K]`` (summing to 1 over ``K``) for elites sorted by descending score."""
        raise NotImplementedError

    # ---- internals ----------------------------------------------------------------------------

    def _bound(self, value: float | Tensor, name: str) -> Tensor:
        bound = torch.as_tensor(value, dtype=self.dtype, device=self.device)
        bound = bound.expand(self.action_dim) if bound.dim() == 0 else bound
        if tuple(bound.shape) != (self.action_dim,):
            raise ValueError(f"{name} must be a float or have shape [{self.action_dim}]")
        return bound.clone()

    def _allowed_iterations(self, budget: Budget | None) -> int:
        if budget is None:
            return self.config.iterations
        if budget.exhausted():
            return 0
        left = math.inf if budget.max_steps is None else budget.max_steps - budget.steps
        return int(min(self.config.iterations, left))

    def _warm_start(self) -> Tensor:
        """Previous mean shifted one step earlier; the new last step is the action-box centre."""
        centre = (self.action_low + self.action_high) / 2
        mean = centre.expand(self.batch_size, self.config.horizon, -1).clone()
        if self._mean is not None:
            mean[:, :-1] = self._mean[:, 1:]
        return mean

    def _compile(self) -> Callable[..., tuple[Tensor, Tensor]]:
        mode = "reduce-overhead" if self.device.type == "cuda" else None
        return torch.compile(self._optimize, mode=mode, dynamic=False)

    def _autocast(self) -> torch.autocast:
        dtype = self.config.autocast_dtype
        return torch.autocast(self.device.type, dtype=dtype, enabled=dtype is not None)

    def _optimize(
        self,
        mean: Tensor,
        std: Tensor,
        noise: Tensor,
        score_fn: ScoreFn,
        policy_prior: PolicyPrior | None,
        budget: Budget | None = None,
    ) -> tuple[Tensor, Tensor]:
        """Run one iteration per leading slice of ``noise``; the loop that CEM and MPPI share."""
        cfg = self.config
        batch, horizon, dim = mean.shape
        prior = None
        if policy_prior is not None:
            with self._autocast():
                prior = policy_prior()
            expected = (batch, cfg.num_policy_samples, horizon, dim)
            if tuple(prior.shape) != expected:
                raise ValueError(f"policy_prior returned {tuple(prior.shape)}, expected {expected}")
            prior = prior.to(mean.dtype).clamp(self.action_low, self.action_high)
        for eps in noise:
            if budget is not None and budget.exhausted():
                break
            samples = (mean.unsqueeze(1) + std.unsqueeze(1) * eps).clamp(
                self.action_low, self.action_high
            )
            actions = samples if prior is None else torch.cat([prior, samples], dim=1)
            with self._autocast():
                scores = score_fn(actions)
            if tuple(scores.shape) != (batch, cfg.num_samples):
                raise ValueError(
                    f"score_fn returned {tuple(scores.shape)}, expected {(batch, cfg.num_samples)}"
                )
            elite_scores, index = scores.to(mean.dtype).nan_to_num(0.0).topk(cfg.num_elites, dim=1)
            elites = actions.gather(1, index[:, :, None, None].expand(-1, -1, horizon, dim))
            weights = self._elite_weights(elite_scores)[:, :, None, None]
            mean = (weights * elites).sum(1)
            var = (weights * (elites - mean.unsqueeze(1)).square()).sum(1)
            std = var.sqrt().clamp(cfg.min_std, cfg.max_std)
            if budget is not None:
                budget.tick()
        return mean, std
