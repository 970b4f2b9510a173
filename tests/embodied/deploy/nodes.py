"""A rospy listener for the deploy tests (this process is one rospy node)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class Listener:
    """Arrival times and payloads of one topic, seen from this test's rospy node."""

    def __init__(self, topic: str, msg_type: type) -> None:
        import rospy

        self.messages: list[tuple[float, object]] = []
        self._lock = threading.Lock()
        self.sub = rospy.Subscriber(topic, msg_type, self._receive, tcp_nodelay=True)

    def _receive(self, msg: object) -> None:
        with self._lock:
            self.messages.append((time.monotonic(), msg))

    def snapshot(self) -> list[tuple[float, object]]:
        with self._lock:
            return list(self.messages)

    def wait_for(self, count: int, timeout: float = 90.0) -> None:
        self._poll(lambda: len(self.snapshot()) >= count, f"fewer than {count} messages", timeout)

    def wait_for_silence(self, quiet_s: float, timeout: float = 20.0) -> None:
        """Until no message has arrived for ``quiet_s`` seconds."""

        def quiet() -> bool:
            messages = self.snapshot()
            last = messages[-1][0] if messages else -float("inf")
            return time.monotonic() - last >= quiet_s

        self._poll(quiet, "no silence", timeout)

    def _poll(self, done: Callable[[], bool], failure: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not done():
            assert time.monotonic() < deadline, f"{failure} on {self.sub.name}"
            time.sleep(0.02)

    def close(self) -> None:
        self.sub.unregister()


class LoopbackTransport:
    """The deploy ``Transport`` protocol in memory, for loop tests that need no ROS.

    A publish is kept under its topic and handed to that topic's subscribers at once; ``inject``
    delivers a message from outside (a robot, an attacker) the same way.
    """

    def __init__(self) -> None:
        self.subscribers: dict[str, list] = {}
        self.published: dict[str, list] = {}

    def subscribe(self, topic: str, msg_type: str, callback: Callable) -> None:
        self.subscribers.setdefault(topic, []).append(callback)

    def publisher(self, topic: str, msg_type: str) -> Callable:
        def publish(msg: object) -> None:
            self.published.setdefault(topic, []).append(msg)
            self.inject(topic, msg)

        return publish

    def inject(self, topic: str, msg: object) -> None:
        for callback in self.subscribers.get(topic, []):
            callback(msg, time.monotonic())

    def close(self) -> None:
        pass
