"""The outbox: publishing off the caller's thread, and delivery of what is queued on close."""

from __future__ import annotations

import logging
import threading
import time

import pytest

from embodied.deploy.outbox import Outbox


def test_close_delivers_every_queued_message_in_order_behind_a_slow_publish():
    sent: list[int] = []

    def slow(msg: int) -> None:
        time.sleep(0.02)
        sent.append(msg)

    outbox = Outbox(slow, "/slow")
    for msg in range(5):
        outbox.put(msg)
    assert sent != list(range(5))  # put did not wait for the publishes
    assert outbox.close(timeout_s=5.0)
    assert sent == list(range(5))
    with pytest.raises(RuntimeError, match="/slow is closed"):
        outbox.put(5)


def test_a_blocked_publish_never_blocks_put_and_the_oldest_are_dropped():
    taken, release, sent = threading.Event(), threading.Event(), []

    def blocked(msg: int) -> None:
        taken.set()
        release.wait()
        sent.append(msg)

    outbox = Outbox(blocked, "/blocked", size=3)
    outbox.put(0)
    assert taken.wait(5.0)  # the sender holds message 0 and blocks on it
    for msg in range(1, 7):
        outbox.put(msg)
    assert outbox.dropped == 3
    release.set()
    assert outbox.close(timeout_s=5.0)
    assert sent == [0, 4, 5, 6]


def test_close_gives_up_after_its_timeout_and_says_so(caplog):
    release = threading.Event()
    outbox = Outbox(lambda msg: release.wait(), "/stuck")
    outbox.put(0)
    outbox.put(1)
    with caplog.at_level(logging.WARNING, logger="embodied.deploy.outbox"):
        assert not outbox.close(timeout_s=0.05)
    assert "/stuck" in caplog.text and "still queued" in caplog.text
    release.set()


def test_a_failing_publish_is_logged_and_later_messages_still_go(caplog):
    sent: list[int] = []

    def publish(msg: int) -> None:
        if msg == 1:
            raise ConnectionResetError("peer went away")
        sent.append(msg)

    outbox = Outbox(publish, "/flaky")
    with caplog.at_level(logging.ERROR, logger="embodied.deploy.outbox"):
        for msg in range(3):
            outbox.put(msg)
        assert outbox.close(timeout_s=5.0)
    assert sent == [0, 2]
    assert "peer went away" in caplog.text


def test_an_outbox_without_room_is_refused():
    with pytest.raises(ValueError, match="size=0"):
        Outbox(print, "/none", size=0)


def test_a_failed_publish_of_the_last_message_is_retried_until_it_goes_out():
    attempts: list[int] = []

    def publish(msg: str) -> None:  # the connection drops twice, then comes back
        attempts.append(len(attempts))
        if len(attempts) <= 2:
            raise ConnectionResetError("peer went away")

    outbox = Outbox(publish, "/stop", retry_s=0.001)
    outbox.put("stop")
    assert outbox.close(timeout_s=5.0)
    assert attempts == [0, 1, 2] and outbox.failed == 0


def test_a_message_that_never_goes_out_is_given_up_after_its_retries(caplog):
    attempts: list[int] = []

    def publish(msg: str) -> None:
        attempts.append(1)
        raise ConnectionResetError("peer went away")

    outbox = Outbox(publish, "/dead", retries=3, retry_s=0.001)
    with caplog.at_level(logging.ERROR, logger="embodied.deploy.outbox"):
        outbox.put("stop")
        assert outbox.close(timeout_s=5.0)
    assert len(attempts) == 4 and outbox.failed == 1
    assert "gave up" in caplog.text
