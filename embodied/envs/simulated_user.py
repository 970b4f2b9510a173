"""A scripted simulated user: walks its avatar between places of the room at walking speed."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


class ScriptedUser:
    """Goes from ``hub`` to a random spot and back, again and again, facing where it walks."""

    def __init__(
        self, hub: Sequence[float], spots: Sequence[Sequence[float]], speed: float = 0.8
    ) -> None:
        self.hub = np.asarray(hub, dtype=float)
        self.spots = np.asarray(spots, dtype=float)
        self.speed = speed
        self.position = self.hub.copy()
        self.yaw = 0.0
        self._target = self.hub

    def reset(self, rng: np.random.Generator) -> None:
        self.position = self.spots[rng.integers(len(self.spots))].copy()
        self.yaw = float(rng.uniform(-np.pi, np.pi))
        self._target = self.hub

    def act(self, dt: float, rng: np.random.Generator) -> tuple[np.ndarray, float]:
        """Walk for ``dt`` seconds; return the new floor position and heading."""
        offset = self._target - self.position
        distance = float(np.linalg.norm(offset))
        if distance < 1e-6:
            at_hub = self._target is self.hub
            self._target = self.spots[rng.integers(len(self.spots))] if at_hub else self.hub
            return self.position, self.yaw
        step = min(self.speed * dt, distance)
        self.position = self.position + offset / distance * step
        self.yaw = float(np.arctan2(offset[1], offset[0]))
        return self.position, self.yaw
