"""Safety around the agent: command clamps, and a watchdog that stops the robot.

The watchdog runs in its own thread so it acts while the agent is still thinking: it sends the
stop command when an observation goes stale, when the agent overruns its period, or when the
e-stop is engaged, and keeps the control loop's commands back until all is well again (after an
e-stop: until it is released and the robot re-armed).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

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


class Clock(Protocol):
    """Where the watchdog reads the time and waits between checks (tests pass a manual one)."""

    def now(self) -> float:
        """Seconds on a monotonic clock."""
        ...

    def wait(self, halt: threading.Event, seconds: float) -> bool:
        """Wait ``seconds`` or until ``halt`` is set; True when it is set."""
        ...


class MonotonicClock:
    """The real clock: ``time.monotonic`` and ``Event.wait``."""

    def now(self) -> float:
        return time.monotonic()

    def wait(self, halt: threading.Event, seconds: float) -> bool:
        return halt.wait(seconds)


@dataclass
class StopEvent:
    """One stop the watchdog sent: when (clock seconds), why, and the observations' age."""

    time: float
    reason: str
    age_s: float | None


@dataclass
class Watchdog:
    """Checks freshness, agent overruns and the e-stop every ``poll_s``; ``stop()`` sends a stop.

    ``last_observation()`` returns the arrival time of the oldest of the newest observations
    (None before every modality has arrived: nothing to stop yet), on ``clock`` (the loop's
    ``time.monotonic``; a test passes a manual clock whose ``wait`` advances it, so neither the
    thread nor ``check`` depends on real time).
    The e-stop latches: after it is released, commands resume only after ``rearm()``.
    Losing the robot (stale observations) and getting it back are each logged once.
    """

    stale_after_s: float
    overrun_s: float
    last_observation: Callable[[], float | None]
    stop: Callable[[str], None]
    poll_s: float = 0.002
    clock: Clock = field(default_factory=MonotonicClock)
    events: list[StopEvent] = field(default_factory=list)
    _estop: bool = False
    _latched: bool = False
    _lost_since: float | None = None
    _act_started: float | None = None
    _tripped: str | None = None
    _lock: threading.RLock = field(default_factory=threading.RLock)
    _halt: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __post_init__(self) -> None:
        if self.stale_after_s <= 0 or self.overrun_s <= 0:
            raise ValueError("stale_after_s and the overrun deadline must be positive")

    # ----- inputs from the control loop, the e-stop and the re-arm topics ----------------------
    def set_estop(self, engaged: bool) -> None:
        """Engage (latches) or release the e-stop; releasing alone does not resume commands."""
        with self._lock:
            self._estop = engaged
            self._latched = self._latched or engaged
        self.check()

    def rearm(self) -> bool:
        """Clear a released e-stop's latch; False (refused) while the e-stop is still engaged."""
        with self._lock:
            if self._estop:
                return False
            self._latched = False
        self.check()
        return True

    @property
    def latched(self) -> bool:
        """Whether an e-stop holds the robot until a re-arm."""
        return self._latched

    def act_started(self) -> None:
        self._act_started = self.clock.now()

    def act_finished(self) -> bool:
        """End of one agent step; False when it overran (its command must not be sent)."""
        started, self._act_started = self._act_started, None
        now = self.clock.now()
        overran = started is not None and now - started > self.overrun_s
        if overran:
            self._trip("overrun", now)
        return not overran

    # ----- state ---------------------------------------------------------------------------------
    def unsafe_reason(self, now: float) -> str | None:
        """Why the robot must not move now, or None."""
        if self._estop or self._latched:
            return "estop"
        if self._is_stale(now):
            return "stale"
        started = self._act_started
        if started is not None and now - started > self.overrun_s:
            return "overrun"
        return None

    def _is_stale(self, now: float) -> bool:
        last = self.last_observation()
        return last is not None and now - last > self.stale_after_s

    def check(self) -> str | None:
        """Trip (send a stop) or clear; returns the reason the robot is held, or None."""
        now = self.clock.now()
        self._track_freshness(now)
        reason = self.unsafe_reason(now)
        if reason is not None:
            self._trip(reason, now)
        elif self._tripped is not None and self._tripped != "overrun":
            self._clear()
        return self._tripped

    def allow_commands(self) -> bool:
        """Whether the control loop may send its command now (clears a past overrun)."""
        if self._tripped == "overrun" and self.unsafe_reason(self.clock.now()) is None:
            self._clear()
        return self.check() is None

    def _track_freshness(self, now: float) -> None:
        """Log "robot lost" when observations go stale and "robot back" when they return, once."""
        last = self.last_observation()
        stale = last is not None and now - last > self.stale_after_s
        with self._lock:
            lost_since = self._lost_since
            if stale == (lost_since is not None):
                return
            self._lost_since = now if stale else None
        if stale:
            log.warning(
                "robot lost: no fresh observation for %.2f s (robot.stale_after_s=%.2f); "
                "the robot is stopped until observations return",
                now - last, self.stale_after_s,
            )  # fmt: skip
        else:
            log.warning("robot back after %.1f s: observations are fresh again", now - lost_since)

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
        while not self.clock.wait(self._halt, self.poll_s):
            try:
                self.check()
            except Exception:  # the watchdog must outlive a failing publish
                log.exception("watchdog check failed")

    def close(self) -> None:
        self._halt.set()
        if self._thread is not None:
            self._thread.join()
