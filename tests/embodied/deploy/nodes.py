"""A rospy listener for the deploy tests (this process is one rospy node)."""

from __future__ import annotations

import threading
import time


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

    def wait_for(self, count: int, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while len(self.snapshot()) < count:
            assert time.monotonic() < deadline, f"fewer than {count} messages on {self.sub.name}"
            time.sleep(0.02)

    def wait_for_silence(self, quiet_s: float, timeout: float = 20.0) -> None:
        """Until no message has arrived for ``quiet_s`` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            messages = self.snapshot()
            last = messages[-1][0] if messages else -float("inf")
            if time.monotonic() - last >= quiet_s:
                return
            assert time.monotonic() < deadline, f"{self.sub.name} never fell silent"
            time.sleep(0.02)

    def close(self) -> None:
        self.sub.unregister()
