"""The transport protocol the control loop and the simulated robot talk through."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from embodied.deploy.config import BRIDGES, RosbridgeConfig
from embodied.deploy.messages import Message

Callback = Callable[[Message, float], None]  # the message and its time.monotonic() of arrival
Publish = Callable[[Message], None]


class Transport(Protocol):
    """Topics in and out; messages are dicts in rosbridge's JSON form."""

    def subscribe(self, topic: str, msg_type: str, callback: Callback) -> None: ...

    def publisher(self, topic: str, msg_type: str) -> Publish: ...

    def close(self) -> None: ...


def open_transport(bridge: str, node_name: str, rosbridge: RosbridgeConfig) -> Transport:
    """Connect through ``bridge``: "ros1" (rospy, ROS_MASTER_URI) or "rosbridge" (websocket)."""
    if bridge == "ros1":
        from embodied.deploy.ros1 import Ros1Transport

        return Ros1Transport(node_name)
    if bridge == "rosbridge":
        from embodied.deploy.rosbridge import RosbridgeTransport

        return RosbridgeTransport(rosbridge.host, rosbridge.port)
    raise ValueError(f"unknown bridge {bridge!r}; valid: {', '.join(BRIDGES)}")
