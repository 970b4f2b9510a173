"""The transport protocol the control loop and the simulated robot talk through."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from embodied.deploy.messages import Message

Callback = Callable[[Message, float], None]  # the message and its time.monotonic() of arrival
Publish = Callable[[Message], None]


class Transport(Protocol):
    """Topics in and out; messages are dicts in rosbridge's JSON form."""

    def subscribe(self, topic: str, msg_type: str, callback: Callback) -> None: ...

    def publisher(self, topic: str, msg_type: str) -> Publish: ...

    def close(self) -> None: ...
