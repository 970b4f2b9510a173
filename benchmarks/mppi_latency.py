"""MPPI planning latency at TD-MPC2's size: a plain eager loop vs ``planning.mppi.MPPI``.

One control step = encode the observation, plan (512 samples x 6 iterations x horizon 3, 24 of
the samples from the policy prior, warm-started from the previous step), return the first
action on the host. Prints one JSON object. Run: ``python benchmarks/mppi_latency.py``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable

import torch
import torch._inductor.config
from machine import machine_info
from tdmpc2_sized_model import WorldModel, with_exp_mish
from torch import Tensor
from torch.utils.flop_counter import FlopCounterMode

from planning.mppi import MPPI, MPPIConfig

OBS_DIM, ACTION_DIM = 24, 6
PLAN_FIELDS = ("horizon", "num_samples", "num_elites", "iterations", "num_policy_samples")
Step = Callable[[Tensor], Tensor]  # obs[1, OBS_DIM] -> first action [ACTION_DIM] on the host


@torch.no_grad()
def straightforward_plan(
    model: WorldModel, z: Tensor, prev_mean: Tensor | None, gen: torch.Generator, cfg: MPPIConfig
) -> Tensor:
    """TD-MPC2's planning loop written plainly (float32, eager, ``[H, N, A]`` layout).

    Returns the final mean ``[H, A]`` (TD-MPC2 instead samples one elite at the very end).
    """
    h, n, p, a_dim = cfg.horizon, cfg.num_samples, cfg.num_policy_samples, ACTION_DIM
    pi_actions = torch.empty(h, p, a_dim, device=z.device)
    _z = z.repeat(p, 1)
    for t in range(h - 1):
        pi_actions[t] = model.policy(_z)
        _z = model.next(_z, pi_actions[t])
    pi_actions[-1] = model.policy(_z)

    z = z.repeat(n, 1)
    mean = torch.zeros(h, a_dim, device=z.device)
    std = torch.full((h, a_dim), cfg.max_std, device=z.device)
    if prev_mean is not None:
        mean[:-1] = prev_mean[1:]
    actions = torch.empty(h, n, a_dim, device=z.device)
    actions[:, :p] = pi_actions
    for _ in range(cfg.iterations):
        r = torch.randn(h, n - p, a_dim, generator=gen, device=z.device)
        actions[:, p:] = (mean.unsqueeze(1) + std.unsqueeze(1) * r).clamp(-1, 1)

        g, discount, _z = 0, 1.0, z
        for t in range(h):
            g = g + discount * model.reward(_z, actions[t])
            _z = model.next(_z, actions[t])
            discount *= 0.99
        value = (g + discount * model.q(_z, model.policy(_z))).nan_to_num(0)

        elite_idxs = torch.topk(value, cfg.num_elites, dim=0).indices
        elite_value, elite_actions = value[elite_idxs], actions[:, elite_idxs]
        score = torch.exp(cfg.temperature * (elite_value - elite_value.max()))
        score = score / score.sum()
        mean = (score.view(1, -1, 1) * elite_actions).sum(1)
        std = (score.view(1, -1, 1) * (elite_actions - mean.unsqueeze(1)) ** 2).sum(1).sqrt()
        std = std.clamp(cfg.min_std, cfg.max_std)
    return mean


def straightforward_step(model: WorldModel, cfg: MPPIConfig, device: torch.device) -> Step:
    gen = torch.Generator(device=device).manual_seed(cfg.seed)
    prev: list[Tensor | None] = [None]

    def step(obs: Tensor) -> Tensor:
        with torch.no_grad():
            z = model.encode(obs)
        prev[0] = straightforward_plan(model, z, prev[0], gen, cfg)
        return prev[0]

    return step


def planner_step(model: WorldModel, planner: MPPI) -> Step:
    cfg = planner.config

    def step(obs: Tensor) -> Tensor:
        with torch.no_grad():
            z = model.encode(obs)
        return planner.plan(
            lambda actions: model.score(z, actions),
            lambda: model.policy_rollout(z, cfg.num_policy_samples, cfg.horizon),
        )[0]

    return step


def measure(
    variants: dict[str, Step], model: WorldModel, obs: Tensor, warmup: int
) -> dict[str, dict[str, float]]:
    """Time every variant on each observation in turn (so load changes hit all alike).

    The first ``warmup`` observations are untimed (compilation); plans are scored in float32.
    """
    warmup_s = dict.fromkeys(variants, 0.0)
    times: dict[str, list[float]] = {name: [] for name in variants}
    scores: dict[str, list[float]] = {name: [] for name in variants}
    for i, o in enumerate(obs.unsqueeze(1)):
        for name, step in variants.items():
            t0 = time.perf_counter()
            plan = step(o)
            action = plan[0].cpu()  # the control loop needs the action on the host
            elapsed = time.perf_counter() - t0
            assert action.shape == (ACTION_DIM,)
            if i < warmup:
                warmup_s[name] += elapsed
                continue
            times[name].append(elapsed * 1e3)
            with torch.no_grad():
                scores[name].append(model.score(model.encode(o), plan[None, None]).item())
    return {name: summary(times[name], scores[name], warmup_s[name]) for name in variants}


def summary(times: list[float], scores: list[float], warmup_s: float) -> dict[str, float]:
    times = sorted(times)
    return {
        "median_ms": round(statistics.median(times), 2),
        "p90_ms": round(times[min(len(times) - 1, int(0.9 * len(times)))], 2),
        "warmup_s": round(warmup_s, 2),
        "mean_plan_score_fp32": round(statistics.fmean(scores), 5),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--repeats", type=int, default=20, help="timed control steps")
    parser.add_argument("--warmup", type=int, default=3, help="untimed steps (compilation)")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    torch.manual_seed(0)
    model = WorldModel(OBS_DIM, ACTION_DIM).to(device).eval()
    obs = torch.randn(args.warmup + args.repeats, OBS_DIM, device=device)
    cfg = MPPIConfig()
    fast_dtype = torch.bfloat16
    # Inference only: let inductor fold the (frozen) weights into the compiled graph.
    torch._inductor.config.freezing = True
    fast_cfg = MPPIConfig(compile=True, autocast_dtype=fast_dtype)

    with FlopCounterMode(display=False) as counter:
        straightforward_step(model, cfg, device)(obs[:1])
    bf16_cfg = MPPIConfig(autocast_dtype=fast_dtype)
    variants: dict[str, Step] = {
        "straightforward_eager_fp32": straightforward_step(model, cfg, device),
        "mppi_eager_fp32": planner_step(model, MPPI(ACTION_DIM, cfg, device=device)),
        "mppi_eager_bf16": planner_step(model, MPPI(ACTION_DIM, bf16_cfg, device=device)),
        "mppi_compiled_bf16": planner_step(model, MPPI(ACTION_DIM, fast_cfg, device=device)),
        "mppi_fast": planner_step(with_exp_mish(model), MPPI(ACTION_DIM, fast_cfg, device=device)),
    }
    results = measure(variants, model, obs, args.warmup)
    base = results["straightforward_eager_fp32"]["median_ms"]
    for r in results.values():
        r["speedup"] = round(base / r["median_ms"], 2)
    fast_options = {
        "compile": True,
        "compile_mode": "reduce-overhead" if device.type == "cuda" else "default",
        "autocast_dtype": str(fast_dtype),
        "inductor_freezing": True,
        "activation": "ExpMish (the same function as nn.Mish, one exp)",
    }
    report = {
        "machine": machine_info(device),
        "model_parameters": sum(p.numel() for p in model.parameters()),
        "gflop_per_plan": round(counter.get_total_flops() / 1e9, 2),
        "plan": {k: getattr(cfg, k) for k in PLAN_FIELDS},
        "mppi_fast_options": fast_options,
        "results": results,
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
