"""Fit a vector field to irregularly sampled, noisy trajectories.

Each trajectory has its own observation times. A batch of trajectories is solved once on the
sorted union of their (start-relative) times and each is compared with its own observations.
The initial states are parameters too (initialised at the first, noisy, observation), so that
noise in the first sample does not bias the field. With ``window`` set, trajectories are cut
into short pieces fitted independently (multiple shooting): a far better-behaved loss for
oscillators, and cheaper to solve. The loss is the mean squared error scaled
per dimension by the data's standard deviation, plus ``neural_penalty`` times the mean square
of the neural term at the observed states (so the known part explains what it can), plus
``weight_decay`` times the sum of squares of θ.

Training can run in stages (``known_warmup``: κ alone, the mechanistic fit; ``neural_warmup``:
θ alone with κ frozen; then both). A hybrid's split into known and neural parts is not
identified by data when f_θ can represent the known terms too; fitting θ first with κ at its
prior values, then both, keeps the network from absorbing the known reactions.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from worldmodels.ode.fields import HybridField, integrate

log = logging.getLogger(__name__)


@dataclass
class Trajectory:
    """Observations ``values[n, D]`` at increasing ``times[n]`` (any spacing)."""

    times: Tensor
    values: Tensor

    def __post_init__(self) -> None:
        if self.times.dim() != 1 or self.values.dim() != 2 or len(self.times) != len(self.values):
            raise ValueError(
                f"a trajectory needs times [n] and values [n, D], got {tuple(self.times.shape)} "
                f"and {tuple(self.values.shape)}"
            )
        if len(self.times) < 2 or not bool((self.times[1:] > self.times[:-1]).all()):
            raise ValueError("a trajectory needs at least 2 strictly increasing times")


OPTIMIZERS = ("lbfgs", "adam")
MAX_RETRIES = 6  # L-BFGS halvings of its step after solver failures before training stops


@dataclass
class ODETrainConfig:
    """Optimiser and solver settings of :func:`fit_field`.

    ``lbfgs`` (full batch, ``lbfgs_steps`` inner steps per iteration, strong-Wolfe line search)
    copes far better than Adam with the ill-conditioned losses of small ODE models; ``adam``
    samples ``batch_size`` trajectories per step, with a learning rate decaying exponentially
    from ``learning_rate`` to ``final_learning_rate``.
    """

    optimizer: str = "lbfgs"
    lbfgs_steps: int = 20
    iterations: int = 500
    learning_rate: float = 1e-2
    final_learning_rate: float = 1e-4
    batch_size: int | None = None  # None: every trajectory in each step
    method: str = "dopri5"
    rtol: float = 1e-5
    atol: float = 1e-7
    adjoint: bool = False
    neural_penalty: float = 1e-3
    fit_initial: bool = True
    grad_clip: float = 10.0
    seed: int = 0
    log_every: int = 0  # 0: no history entries between the first and the last step
    window: float | None = None  # multiple shooting: fit windows of this duration
    known_lr_scale: float = 0.1  # κ moves this much slower than θ: the known values are a prior
    known_warmup: int = 0  # first fit κ alone for this many iterations (the mechanistic model)
    neural_warmup: int = 0  # then θ alone with κ frozen, before ``iterations`` joint ones
    weight_decay: float = 0.0  # adds this times the sum of θ² to the objective (any optimiser)


def split_windows(trajectories: Sequence[Trajectory], window: float) -> list[Trajectory]:
    """Cut each trajectory into consecutive pieces spanning at most ``window`` time units
    (pieces of a single observation are dropped); each piece starts at an observation."""
    if window <= 0:
        raise ValueError(f"window must be > 0, got {window}")
    pieces = []
    for tr in trajectories:
        start = 0
        while start < len(tr.times) - 1:
            stop = int(torch.searchsorted(tr.times, tr.times[start] + window, right=True))
            stop = max(stop, start + 2)
            pieces.append(Trajectory(tr.times[start:stop], tr.values[start:stop]))
            start = stop - 1  # neighbouring pieces share their boundary observation
    return pieces


def union_times(trajectories: Sequence[Trajectory]) -> tuple[Tensor, list[Tensor]]:
    """Sorted union of start-relative times, and each trajectory's indices into it."""
    relative = [tr.times - tr.times[0] for tr in trajectories]
    grid, inverse = torch.unique(torch.cat(relative), sorted=True, return_inverse=True)
    indices, start = [], 0
    for r in relative:
        indices.append(inverse[start : start + len(r)])
        start += len(r)
    return grid, indices


def trajectory_loss(
    field: nn.Module,
    y0: Tensor,
    trajectories: Sequence[Trajectory],
    scale: Tensor,
    cfg: ODETrainConfig,
) -> Tensor:
    """Scaled mean squared error of the solution from ``y0[B, D]`` against the observations."""
    grid, indices = union_times(trajectories)
    path = integrate(field, y0, grid.to(y0), cfg.method, cfg.rtol, cfg.atol, cfg.adjoint)
    errors = [
        (((path[idx, b] - tr.values.to(y0)) / scale) ** 2).mean()
        for b, (tr, idx) in enumerate(zip(trajectories, indices, strict=True))
    ]
    return torch.stack(errors).mean()


STAGES = ("known", "neural", "joint")  # what each stage trains: κ, θ, or both


def fit_field(
    field: HybridField, trajectories: Sequence[Trajectory], cfg: ODETrainConfig
) -> dict[str, list[float]]:
    """Train ``field``'s parameters (κ and θ) on ``trajectories``; return the loss history
    (``step`` 0: before training; then after every ``log_every`` iterations and each stage's
    last). Stages run in order: ``known_warmup`` iterations of κ alone (f_θ switched off: the
    mechanistic fit), ``neural_warmup`` of θ with κ frozen, then ``iterations`` of both.

    If a trial step makes the solver fail (step-size underflow: the field blew up), the
    parameters are restored; L-BFGS retries with half its step (up to ``MAX_RETRIES`` times),
    otherwise training stops there and ``history["stopped"]`` names the iteration.
    """
    if not trajectories:
        raise ValueError("fit_field needs at least one trajectory")
    if cfg.optimizer not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {cfg.optimizer!r}; valid: {', '.join(OPTIMIZERS)}")
    if cfg.window is not None:
        trajectories = split_windows(trajectories, cfg.window)
    values = torch.cat([tr.values for tr in trajectories])
    scale = values.std(0).clamp_min(1e-6)
    y0 = nn.Parameter(torch.stack([tr.values[0] for tr in trajectories]).float())
    y0.requires_grad_(cfg.fit_initial)
    known = [p for p in field.known.parameters() if p.requires_grad] if field.known else []
    neural = [p for p in field.neural.parameters() if p.requires_grad] if field.neural else []
    if not known + neural and not cfg.fit_initial:
        raise ValueError("the field has no trainable parameters and fit_initial is off")
    history: dict[str, list[float]] = {"step": [], "loss": []}
    offset = 0
    stages = zip(STAGES, (cfg.known_warmup, cfg.neural_warmup, cfg.iterations), strict=True)
    for stage, iterations in stages:
        groups = {"known": (known, []), "neural": ([], neural), "joint": (known, neural)}[stage]
        if iterations <= 0 or (stage != "joint" and not any(groups)):
            continue
        # the known stage fits the mechanistic model alone: f_θ is switched off
        part = HybridField(field.known, None) if stage == "known" else field
        offset = _fit_stage(part, trajectories, y0, scale, groups, iterations, offset, cfg, history)
        if "stopped" in history:
            break
    return history


def _fit_stage(
    field: HybridField,
    trajectories: Sequence[Trajectory],
    y0: nn.Parameter,
    scale: Tensor,
    groups: tuple[list[nn.Parameter], list[nn.Parameter]],
    iterations: int,
    offset: int,
    cfg: ODETrainConfig,
    history: dict[str, list[float]],
) -> int:
    """``iterations`` of the optimiser on the (known, neural) parameters in ``groups`` and
    the initial states; appends to ``history`` (steps counted from ``offset``) and returns the
    step count reached."""
    known, neural = groups
    params = known + neural + ([y0] if cfg.fit_initial else [])
    generator = torch.Generator().manual_seed(cfg.seed + offset)
    if cfg.optimizer == "lbfgs":
        optimiser: torch.optim.Optimizer = torch.optim.LBFGS(
            params, lr=1.0, max_iter=cfg.lbfgs_steps, history_size=50,
            line_search_fn="strong_wolfe",
        )  # fmt: skip
    else:
        parts = [{"params": known, "lr": cfg.learning_rate * cfg.known_lr_scale}]
        parts.append({"params": neural + ([y0] if cfg.fit_initial else [])})
        optimiser = torch.optim.Adam([g for g in parts if g["params"]], lr=cfg.learning_rate)
    gamma = (cfg.final_learning_rate / cfg.learning_rate) ** (1.0 / max(iterations, 1))
    schedule = torch.optim.lr_scheduler.ExponentialLR(optimiser, gamma)
    full = cfg.batch_size is None or cfg.optimizer == "lbfgs"
    batch = len(trajectories) if full else min(cfg.batch_size, len(trajectories))
    penalised = field.neural is not None and cfg.neural_penalty > 0
    decayed = bool(neural) and cfg.weight_decay > 0
    evaluated: list[float] = []  # every loss evaluation; the first is the untrained loss
    good = math.nan  # the loss after the last completed iteration
    failures = 0
    for step in range(offset, offset + iterations):
        pick = torch.randperm(len(trajectories), generator=generator)[:batch].tolist()
        chosen = [trajectories[i] for i in pick]

        def closure(pick: list[int] = pick, chosen: list[Trajectory] = chosen) -> Tensor:
            optimiser.zero_grad()
            loss = trajectory_loss(field, y0[pick], chosen, scale, cfg)
            total = loss
            if penalised:
                # the neural term at the observed states of the batch, in data units
                seen = torch.cat([tr.values for tr in chosen]).to(y0)
                neural_out = field.neural(seen.new_zeros(1), seen)
                total = total + cfg.neural_penalty * ((neural_out / scale) ** 2).mean()
            if decayed:
                total = total + cfg.weight_decay * sum((p**2).sum() for p in neural)
            total.backward()
            if cfg.optimizer == "adam":
                torch.nn.utils.clip_grad_norm_(params, cfg.grad_clip)
            evaluated.append(loss.item())
            return total

        before = [p.detach().clone() for p in params]
        try:
            optimiser.step(closure)
        except AssertionError as exc:  # torchdiffeq's step-size underflow: a blown-up field
            with torch.no_grad():
                for p, old in zip(params, before, strict=True):
                    p.copy_(old)
            failures += 1
            if cfg.optimizer == "lbfgs" and failures <= MAX_RETRIES:
                optimiser.state.clear()  # retry the iteration with shorter L-BFGS steps
                for group in optimiser.param_groups:
                    group["lr"] *= 0.5
                log.info("solver failed at iteration %d (%s); L-BFGS lr halved", step, exc)
                continue
            history["stopped"] = [float(step)]
            history["step"].append(step)
            history["loss"].append(good if evaluated and step > offset else _first(evaluated))
            log.warning("training stopped at iteration %d, parameters restored: %s", step, exc)
            break
        if cfg.optimizer == "adam":
            schedule.step()
        if step == 0:
            history["step"].append(0)
            history["loss"].append(evaluated[0])
        if not math.isfinite(evaluated[-1]):
            raise FloatingPointError(f"the training loss became {evaluated[-1]} at step {step}")
        good = evaluated[-1]
        last = step == offset + iterations - 1
        if last or (cfg.log_every and (step + 1) % cfg.log_every == 0):
            history["step"].append(step + 1)
            history["loss"].append(evaluated[-1])
    return offset + iterations


def _first(evaluated: list[float]) -> float:
    """The untrained loss, or nan when the very first evaluation failed."""
    return evaluated[0] if evaluated else math.nan
