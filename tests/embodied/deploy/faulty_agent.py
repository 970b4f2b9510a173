"""An agent that fails on purpose, for the deploy tests (``agent=faulty`` from a config dir)."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np

FAULTS = ("raise", "nan")


class FaultyAgent:
    """Commands ``target`` every step, then at step ``fail_at`` raises or returns NaN."""

    def __init__(self, env: gym.Env, target: list[float], fail_at: int, fault: str) -> None:
        if fault not in FAULTS:
            raise ValueError(f"fault={fault!r}; valid: {', '.join(FAULTS)}")
        self.target, self.fail_at, self.fault = np.asarray(target, np.float64), fail_at, fault
        self.steps = 0

    def reset(self) -> None:
        self.steps = 0

    def act(self, observation: dict[str, Any]) -> np.ndarray:
        self.steps += 1
        if self.steps < self.fail_at:
            return self.target
        if self.fault == "raise":
            raise RuntimeError(f"the agent crashed at step {self.steps}")
        return np.full_like(self.target, np.nan)
