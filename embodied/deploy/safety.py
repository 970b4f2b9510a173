"""Safety around the agent: command clamps, and a watchdog that stops the robot.

The watchdog runs in its own thread so it acts while the agent is still thinking: it sends the
stop command when an observation goes stale, when the agent overruns its period, or when the
e-stop is engaged, and keeps the control loop's commands back until all is well again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

log = logging.getLogger(__name__)


class CommandLimits:
    """Per-actuator bounds every command is clamped to; counts the commands it had to clamp."""

    def __init__(self, low: Sequence[float], high: Sequence[float]) -> None:
        self.low, self.high = np.asarray(low, np.float64), np.asarray(high, np.float64)
        if self.low.shape != self.high.shape or np.any(self.low > self.high):
            raise ValueError(f"command limits low={low} high={high} must pair up with low <= high")
        self.clamped = 0

    def __call__(self, action: np.ndarray) -> np.ndarray:
        action = np.asarray(action, np.float64).reshape(self.low.shape)
        if not np.all(np.isfinite(action)):
            raise ValueError(f"the agent returned a non-finite action {action.tolist()}")
        clipped = np.clip(action, self.low, self.high)
        if np.any(np.abs(clipped - action) > 1e-6):  # float32 actions sit on float64 bounds
            self.clamped += 1
        return clipped


@dataclass
class StopEvent:
    """One stop the watchdog sent: when (monotonic seconds), why, and the observations' age."""

    time: float
    reason: str
    age_s: float | None


@dataclass
class Watchdog:
    """Checks freshness, agent overruns and the e-stop every ``poll_s``; ``stop()`` sends a stop.

    ``last_observation()`` returns the arrival time of the oldest of the newest observations
    (None before every modality has arrived: nothing to stop yet).
    """

    stale_after_s: float
    overrun_s: float
    last_observation: Callable[[], float | None]
    stop: Callable[[str], None]
    poll_s: float = 0.002
    events: list[StopEvent] = field(default_factory=list)
    _estop: bool = False
    _act_started: float | None = None
    _tripped: str | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _halt: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __post_init__(self) -> None:
        if self.stale_after_s <= 0 or self.overrun_s <= 0:
            raise ValueError("stale_after_s and the overrun deadline must be positive")

    # ----- inputs from the control loop and the e-stop topic -----------------------------------
    def set_estop(self, engaged: bool) -> None:
        self._estop = engaged
        self.check()

    def act_started(self) -> None:
        self._act_started = time.monotonic()

    def act_finished(self) -> bool:
        """End of one agent step; False when it overran (its command must not be sent)."""
        started, self._act_started = self._act_started, None
        overran = started is not None and time.monotonic() - started > self.overrun_s
        if overran:
            self._trip("overrun", time.monotonic())
        return not overran

    # ----- state ---------------------------------------------------------------------------------
    def unsafe_reason(self, now: float) -> str | None:
        """Why the robot must not move now, or None."""
        if self._estop:
            return "estop"
        last = self.last_observation()
        if last is not None and now - last > self.stale_after_s:
            return "stale"
        started = self._act_started
        if started is not None and now - started > self.overrun_s:
            return "overrun"
        return None

    def check(self) -> str | None:
        """Trip (send a stop) or clear; returns the reason the robot is held, or None."""
        now = time.monotonic()
        reason = self.unsafe_reason(now)
        if reason is not None:
            self._trip(reason, now)
        elif self._tripped is not None and self._tripped != "overrun":
            self._clear()
        return self._tripped

    def allow_commands(self) -> bool:
        """Whether the control loop may send its command now (clears a past overrun)."""
        if self._tripped == "overrun" and self.unsafe_reason(time.monotonic()) is None:
            self._clear()
        return self.check() is None

    def _trip(self, reason: str, now: float) -> None:
        with self._lock:
            if self._tripped is not None:
                return
            self._tripped = reason
            last = self.last_observation()
            event = StopEvent(now, reason, None if last is None else now - last)
            self.events.append(event)
        log.warning("watchdog: stop (%s)", reason)
        self.stop(reason)

    def _clear(self) -> None:
        with self._lock:
            if self._tripped is not None:
                log.info("watchdog: %s cleared, commands resume", self._tripped)
            self._tripped = None

    # ----- thread --------------------------------------------------------------------------------
    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="watchdog", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._halt.wait(self.poll_s):
            try:
                self.check()
            except Exception:  # the watchdog must outlive a failing publish
                log.exception("watchdog check failed")

    def close(self) -> None:
        self._halt.set()
        if self._thread is not None:
            self._thread.join()
