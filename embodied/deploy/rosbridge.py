"""rosbridge transport (JSON over websocket, roslibpy): ROS 2 robots that run rosbridge_server."""

from __future__ import annotations

import base64
import time
from typing import Any

import roslibpy

from embodied.deploy.messages import short_type
from embodied.deploy.transport import Callback, Publish

CONNECT_TIMEOUT_S = 10.0


def ros2_type(msg_type: str) -> str:
    """``pkg/msg/Type``, the spelling rosbridge_server on ROS 2 expects."""
    package, name = short_type(msg_type).split("/")
    return f"{package}/msg/{name}"


def jsonable(value: Any) -> Any:
    """``value`` with bytes as base64 strings (rosbridge's encoding of uint8[])."""
    if isinstance(value, dict):
        return {key: jsonable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [jsonable(item) for item in value]
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(value).decode()
    return value


class RosbridgeTransport:
    """A roslibpy client of the rosbridge server at ``host:port``."""

    def __init__(self, host: str, port: int) -> None:
        self.ros = roslibpy.Ros(host=host, port=port)
        try:
            self.ros.run(timeout=CONNECT_TIMEOUT_S)
        except Exception as error:
            raise ConnectionError(
                f"no rosbridge server at ws://{host}:{port} ({error}); start rosbridge_server "
                "there or set rosbridge.host/rosbridge.port"
            ) from error
        self._topics: list[roslibpy.Topic] = []

    def subscribe(self, topic: str, msg_type: str, callback: Callback) -> None:
        handle = roslibpy.Topic(self.ros, topic, ros2_type(msg_type), queue_length=1)
        handle.subscribe(lambda msg: callback(msg, time.monotonic()))
        self._topics.append(handle)

    def publisher(self, topic: str, msg_type: str) -> Publish:
        handle = roslibpy.Topic(self.ros, topic, ros2_type(msg_type), queue_size=10)
        handle.advertise()
        self._topics.append(handle)
        return lambda data: handle.publish(roslibpy.Message(jsonable(data)))

    def close(self) -> None:
        for handle in self._topics:
            if handle.is_subscribed:
                handle.unsubscribe()
            if handle.is_advertised:
                handle.unadvertise()
        self._topics.clear()
        self.ros.close()
