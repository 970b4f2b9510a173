"""Performance profiles and their area (AUP), as MLGym defines them (arXiv 2502.14499).

On each task a method is *feasible* when its score is ≥ 0 and at least as good as the task's
baseline (the baseline counts as a method). Its ratio to the best method is best/score when
higher is better and score/best when lower is better; an infeasible method gets the worst
feasible ratio × (1 + ε), ε = 0.05. The profile ρ(τ) is the share of tasks whose log10 ratio is
≤ τ, on 500 points in [0, max τ] (log10 of the largest ratio, rounded up to 0.1); AUP is the
area under it, Σ ρ(τ_i)(τ_{i+1} − τ_i).
"""

from __future__ import annotations

import math

import numpy as np

EPSILON = 0.05
POINTS = 500
BASELINE = "baseline"


def _ratios(scores: dict[str, float | None], maximize: bool) -> dict[str, float]:
    baseline = scores[BASELINE]
    assert baseline is not None, "the baseline must have a score"

    def feasible(score: float | None) -> bool:
        if score is None or not math.isfinite(score) or score < 0:
            return False
        return score >= baseline if maximize else score <= baseline

    good = {m: s for m, s in scores.items() if feasible(s)}
    best = max(good.values()) if maximize else min(good.values())
    ratios = {m: (best / s if maximize else s / best) if s else math.inf for m, s in good.items()}
    worst = max(r for r in ratios.values() if math.isfinite(r))
    return {m: ratios.get(m, worst * (1 + EPSILON)) for m in scores}


def profiles(
    scores: dict[str, dict[str, float | None]], maximize: dict[str, bool]
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The τ grid and each method's performance profile ρ(τ) on it, from ``scores[task][method]``
    (each task includes ``"baseline"``)."""
    if not scores:
        raise ValueError("no tasks to profile")
    methods = sorted({m for per_task in scores.values() for m in per_task})
    log_ratios = np.array(
        [
            [math.log10(_ratios(per_task, maximize[task]).get(m, math.inf)) for m in methods]
            for task, per_task in scores.items()
        ]
    )  # [task, method]; a method missing on a task never reaches it
    finite = log_ratios[np.isfinite(log_ratios)]
    max_tau = max(math.ceil(float(finite.max()) * 10) / 10, 0.1) if finite.size else 0.1
    taus = np.linspace(0.0, max_tau, POINTS)
    profile = (log_ratios[None] <= taus[:, None, None]).mean(axis=1)  # [tau, method]
    return taus, {m: profile[:, i] for i, m in enumerate(methods)}


def aup(scores: dict[str, dict[str, float | None]], maximize: dict[str, bool]) -> dict[str, float]:
    """AUP of each method from ``scores[task][method]`` (each task includes ``"baseline"``)."""
    taus, curves = profiles(scores, maximize)
    return {m: float((rho[:-1] * np.diff(taus)).sum()) for m, rho in curves.items()}
