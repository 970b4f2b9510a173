"""Command clamps and the watchdog thread (stale data, agent overrun, e-stop)."""

from __future__ import annotations

import time

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


class Clock:
    """The arrival time the watchdog reads (set by the test)."""

    def __init__(self) -> None:
        self.arrival: float | None = None


def make_watchdog(clock: Clock, stops: list) -> Watchdog:
    return Watchdog(
        stale_after_s=0.1,
        overrun_s=0.05,
        last_observation=lambda: clock.arrival,
        stop=lambda reason: stops.append((time.monotonic(), reason)),
        poll_s=0.002,
    )


def test_stale_data_stops_within_the_deadline_once_and_fresh_data_resumes():
    clock, stops = Clock(), []
    watchdog = make_watchdog(clock, stops)
    watchdog.start()
    try:
        time.sleep(0.05)
        assert stops == [] and watchdog.allow_commands()  # nothing received yet: nothing to stop
        clock.arrival = time.monotonic()
        time.sleep(0.3)
        assert [reason for _, reason in stops] == ["stale"]
        assert 0.1 <= stops[0][0] - clock.arrival < 0.13
        assert not watchdog.allow_commands()
        clock.arrival = time.monotonic()
        assert watchdog.allow_commands()
    finally:
        watchdog.close()


def test_an_overrunning_agent_is_stopped_while_it_still_computes():
    clock, stops = Clock(), []
    watchdog = make_watchdog(clock, stops)
    watchdog.start()
    try:
        clock.arrival = time.monotonic() + 10.0  # always fresh
        watchdog.act_started()
        started = time.monotonic()
        time.sleep(0.15)
        assert [reason for _, reason in stops] == ["overrun"]
        assert 0.05 <= stops[0][0] - started < 0.08  # during the act, not after it
        assert watchdog.act_finished() is False  # its late command must not go out
        assert watchdog.allow_commands()  # the next, timely step may command again
        watchdog.act_started()
        assert watchdog.act_finished() is True
    finally:
        watchdog.close()


def test_estop_holds_until_released():
    clock, stops = Clock(), []
    watchdog = make_watchdog(clock, stops)
    clock.arrival = time.monotonic() + 10.0
    watchdog.set_estop(True)
    assert [reason for _, reason in stops] == ["estop"] and not watchdog.allow_commands()
    watchdog.set_estop(False)
    assert watchdog.allow_commands() and len(watchdog.events) == 1
