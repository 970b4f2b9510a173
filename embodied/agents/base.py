"""The agent protocol of the episode runner."""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np


class Agent(Protocol):
    """Maps observations to actions; ``reset`` starts a new episode."""

    def reset(self, seed: int | None = None) -> None: ...

    def act(self, observation: Any) -> np.ndarray: ...

    # Optional: ``observe(observation, action, reward, terminated)`` is called after each step
    # (agents that learn online); ``close()`` at the end of the run.
