"""Publishing off the control loop's thread, with delivery of what is queued when it closes.

A transport whose publish can block (a synchronous socket write to a slow subscriber) hands
messages to an ``Outbox``: the caller never waits, the oldest message is dropped beyond the
queue's size (a newer command supersedes it), a publish that fails is retried while no newer
message waits, and ``close`` publishes everything still queued, so the stop sent just before
shutdown (or after a crash) reaches the robot.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)


class Outbox:
    """Publishes queued messages in order on its own thread through ``publish``."""

    def __init__(
        self,
        publish: Callable[[Any], Any],
        name: str,
        size: int = 10,
        retries: int = 5,
        retry_s: float = 0.02,
    ) -> None:
        if size < 1:
            raise ValueError(f"an outbox holds at least one message, got size={size}")
        if retries < 0 or retry_s < 0:
            raise ValueError(f"retries={retries} and retry_s={retry_s} must be >= 0")
        self.name = name
        self.dropped = 0  # superseded in a full queue
        self.failed = 0  # given up after its retries, or superseded while retrying
        self.retries, self.retry_s = retries, retry_s
        self._publish = publish
        self._queue: deque[Any] = deque()
        self._size = size
        self._ready = threading.Condition()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name=f"outbox {name}", daemon=True)
        self._thread.start()

    def put(self, msg: Any) -> None:
        """Queue ``msg`` for publishing; the oldest queued message goes when the queue is full."""
        with self._ready:
            if self._closed:
                raise RuntimeError(f"outbox {self.name} is closed: {msg!r} was not published")
            if len(self._queue) == self._size:
                self._queue.popleft()
                self.dropped += 1
            self._queue.append(msg)
            self._ready.notify()

    def close(self, timeout_s: float) -> bool:
        """Publish what is queued, then stop; False if that took longer than ``timeout_s``."""
        with self._ready:
            self._closed = True
            self._ready.notify()
        self._thread.join(timeout_s)
        if self._thread.is_alive():
            with self._ready:
                pending = len(self._queue)
            log.warning(
                "outbox %s: %d message(s) still queued after %.1f s", self.name, pending, timeout_s
            )
            return False
        return True

    def _run(self) -> None:
        while True:
            with self._ready:
                while not self._queue and not self._closed:
                    self._ready.wait()
                if not self._queue:  # closed and delivered
                    return
                msg = self._queue.popleft()
            self._deliver(msg)

    def _deliver(self, msg: Any) -> None:
        """Publish ``msg``; retry a failure (a dropped connection) until a newer message waits."""
        for attempt in range(self.retries + 1):
            try:
                self._publish(msg)
                return
            except Exception:  # a failed publish must not stop later messages
                log.exception("outbox %s: publishing failed (attempt %d)", self.name, attempt + 1)
            with self._ready:
                if self._queue:  # a newer message supersedes this one
                    break
            if attempt < self.retries:
                time.sleep(self.retry_s * (attempt + 1))
        self.failed += 1
        log.error("outbox %s: gave up on a message after %d attempt(s)", self.name, attempt + 1)
