"""Step and wall-clock budgets shared by every search policy."""

from __future__ import annotations

import time
from dataclasses import dataclass, field


@dataclass
class Budget:
    """Stop after ``max_steps`` steps or ``max_seconds`` seconds, whichever comes first.

    ``None`` means unlimited for that dimension. Steps already taken before a resume are
    passed in ``steps`` so that a resumed search honours the original step budget.
    """

    max_steps: int | None = None
    max_seconds: float | None = None
    steps: int = 0
    _start: float = field(default_factory=time.monotonic, repr=False)

    def __post_init__(self) -> None:
        if self.max_steps is not None and self.max_steps < 0:
            raise ValueError(f"max_steps must be >= 0 or None, got {self.max_steps}")
        if self.max_seconds is not None and self.max_seconds <= 0:
            raise ValueError(f"max_seconds must be > 0 or None, got {self.max_seconds}")

    def restart_clock(self) -> None:
        """Start counting seconds from now (steps are kept)."""
        self._start = time.monotonic()

    def tick(self, n: int = 1) -> None:
        """Record ``n`` finished steps."""
        self.steps += n

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self._start

    def exhausted(self) -> bool:
        """True once either limit is reached."""
        if self.max_steps is not None and self.steps >= self.max_steps:
            return True
        return self.max_seconds is not None and self.elapsed >= self.max_seconds
