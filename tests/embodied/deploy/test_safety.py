"""Command clamps and the watchdog thread (stale data, agent overrun, e-stop)."""

from __future__ import annotations

import logging
import threading

import numpy as np
import pytest

from embodied.deploy.safety import CommandLimits, Watchdog


def test_limits_clamp_every_command_and_count_the_clamped():
    limits = CommandLimits([-1.0, -2.0], [1.0, 2.0])
    np.testing.assert_array_equal(limits([0.5, 5.0]), [0.5, 2.0])
    np.testing.assert_array_equal(limits(np.float32([1.0, -2.0])), [1.0, -2.0])
    assert limits.clamped == 1
    with pytest.raises(ValueError, match="non-finite"):
        limits([np.nan, 0.0])
    with pytest.raises(ValueError, match="low <= high"):
        CommandLimits([1.0], [0.0])


class ManualClock:
    """The watchdog's clock and the arrival time it reads, both set by the test; ``wait``
    advances the time at once instead of sleeping, so the watchdog thread runs in simulated time."""

    def __init__(self) -> None:
        self.time = 100.0
        self.arrival: float | None = None

    def now(self) -> float:
        return self.time

    def wait(self, halt: threading.Event, seconds: float) -> bool:
        if halt.is_set():
            return True
        self.time += seconds
        return False


def make_watchdog(clock: ManualClock, stops: list) -> Watchdog:
    return Watchdog(
        stale_after_s=0.1,
        overrun_s=0.05,
        last_observation=lambda: clock.arrival,
        stop=lambda reason: stops.append((clock.time, reason)),
        poll_s=0.002,
        clock=clock,
    )


def poll(watchdog: Watchdog, clock: ManualClock, seconds: float, fresh: bool = False) -> None:
    """What the watchdog thread does for ``seconds``: a check every ``poll_s`` (observations
    arriving before each one if ``fresh``)."""
    for _ in range(round(seconds / watchdog.poll_s)):
        clock.time += watchdog.poll_s
        if fresh:
            clock.arrival = clock.time
        watchdog.check()


def test_stale_data_stops_within_the_deadline_once_and_fresh_data_resumes():
    clock, stops = ManualClock(), []
    watchdog = make_watchdog(clock, stops)
    poll(watchdog, clock, 0.05)
    assert stops == [] and watchdog.allow_commands()  # nothing received yet: nothing to stop
    clock.arrival = clock.time
    poll(watchdog, clock, 0.3)
    assert [reason for _, reason in stops] == ["stale"]
    assert 0.1 <= stops[0][0] - clock.arrival <= 0.1 + 2 * watchdog.poll_s
    assert not watchdog.allow_commands()
    clock.arrival = clock.time
    assert watchdog.allow_commands()


def test_the_thread_stops_stale_data_on_its_own_within_the_deadline():
    clock, stops, stopped = ManualClock(), [], threading.Event()
    clock.arrival = clock.time

    def stop(reason: str) -> None:
        stops.append((clock.time, reason))
        stopped.set()

    watchdog = Watchdog(0.05, 0.05, lambda: clock.arrival, stop, poll_s=0.002, clock=clock)
    watchdog.start()
    try:
        assert stopped.wait(timeout=30.0), "the watchdog thread never checked"
    finally:
        watchdog.close()
    assert [reason for _, reason in stops] == ["stale"]
    assert 0.05 < stops[0][0] - clock.arrival <= 0.05 + 2 * watchdog.poll_s


def test_an_overrunning_agent_is_stopped_while_it_still_computes():
    clock, stops = ManualClock(), []
    watchdog = make_watchdog(clock, stops)
    clock.arrival = clock.time + 10.0  # always fresh
    watchdog.act_started()
    started = clock.time
    poll(watchdog, clock, 0.15)
    assert [reason for _, reason in stops] == ["overrun"]
    assert 0.05 <= stops[0][0] - started <= 0.05 + 2 * watchdog.poll_s  # during the act
    assert watchdog.act_finished() is False  # its late command must not go out
    assert watchdog.allow_commands()  # the next, timely step may command again
    watchdog.act_started()
    assert watchdog.act_finished() is True


def test_estop_latches_until_released_and_rearmed():
    clock, stops = ManualClock(), []
    watchdog = make_watchdog(clock, stops)
    clock.arrival = clock.time + 10.0
    watchdog.set_estop(True)
    assert [reason for _, reason in stops] == ["estop"] and not watchdog.allow_commands()
    assert watchdog.rearm() is False  # refused while engaged
    watchdog.set_estop(False)
    poll(watchdog, clock, 0.1)
    assert not watchdog.allow_commands()  # releasing alone does not move the robot
    assert watchdog.rearm() is True
    assert watchdog.allow_commands() and len(watchdog.events) == 1
    watchdog.set_estop(True)  # and it latches again
    watchdog.set_estop(False)
    assert not watchdog.allow_commands() and len(watchdog.events) == 2


def test_losing_the_robot_and_getting_it_back_are_each_logged_once(caplog):
    clock, stops = ManualClock(), []
    watchdog = make_watchdog(clock, stops)
    clock.arrival = clock.time
    with caplog.at_level(logging.INFO, logger="embodied.deploy.safety"):
        poll(watchdog, clock, 12.0)  # 12 s without an observation
        poll(watchdog, clock, 1.0, fresh=True)  # it comes back
    lost = [r.getMessage() for r in caplog.records if "robot lost" in r.getMessage()]
    back = [r.getMessage() for r in caplog.records if "robot back" in r.getMessage()]
    assert len(lost) == 1 and len(back) == 1, caplog.text
    assert "robot back after 11.9 s" in back[0]
