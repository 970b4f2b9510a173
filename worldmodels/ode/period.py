"""Oscillation period of a sampled signal, from its upward crossings of the mean."""

from __future__ import annotations

import numpy as np


def estimate_period(times: np.ndarray, signal: np.ndarray, skip_fraction: float = 0.3) -> float:
    """Mean spacing of the upward mean-crossings of ``signal(times)`` after dropping the first
    ``skip_fraction`` of the samples (the transient); crossing times are linearly interpolated.

    Returns ``nan`` when fewer than two crossings remain (no oscillation).
    """
    times, signal = np.asarray(times, dtype=float), np.asarray(signal, dtype=float)
    if times.shape != signal.shape or times.ndim != 1:
        raise ValueError(f"times and signal must be 1-D of one length, got {times.shape}, "
                         f"{signal.shape}")  # fmt: skip
    if not 0.0 <= skip_fraction < 1.0:
        raise ValueError(f"skip_fraction must be in [0, 1), got {skip_fraction}")
    start = int(len(times) * skip_fraction)
    t, x = times[start:], signal[start:]
    if len(t) < 3 or not np.isfinite(x).all():
        return float("nan")
    x = x - x.mean()
    up = np.flatnonzero((x[:-1] < 0) & (x[1:] >= 0))
    if len(up) < 2:
        return float("nan")
    crossings = t[up] - x[up] * (t[up + 1] - t[up]) / (x[up + 1] - x[up])
    return float(np.diff(crossings).mean())


def period_error(estimate: float, truth: float) -> float:
    """Relative error ``|estimate − truth| / truth`` (``inf`` when there is no oscillation)."""
    if not np.isfinite(estimate):
        return float("inf")
    return abs(estimate - truth) / truth
