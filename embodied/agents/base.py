"""The agent protocol of the episode runner."""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np


class Agent(Protocol):
    """Maps observations to actions; ``reset`` starts a new episode."""

    def reset(self, seed: int | None = None) -> None: ...

    def act(self, observation: Any) -> np.ndarray: ...

    def explain(self) -> dict[str, Any] | None:
        """The reasoning behind the last ``act()`` as JSON-serialisable data, or None (the
        default: an agent that does not reason aloud). Known keys, all optional:
        ``posterior`` ({goal name: probability}), ``question`` (what the agent asked the user
        during that act), ``answer`` (the reply), ``plan`` (short text: what it chose to do).
        The episode runner records it per step (``steps.jsonl``, see
        :mod:`embodied.step_records`) and draws it over the video."""
        return None

    # Optional: ``observe(observation, action, reward, terminated)`` is called after each step
    # (agents that learn online); ``close()`` at the end of the run.
