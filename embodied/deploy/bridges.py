"""Open the transport of a configured bridge (ROS 1 through rospy, or rosbridge)."""

from __future__ import annotations

from embodied.deploy.config import BRIDGES, RosbridgeConfig
from embodied.deploy.transport import Transport


def open_transport(bridge: str, node_name: str, rosbridge: RosbridgeConfig) -> Transport:
    """Connect through ``bridge``: "ros1" (rospy, ROS_MASTER_URI) or "rosbridge" (websocket)."""
    if bridge == "ros1":
        from embodied.deploy.ros1 import Ros1Transport

        return Ros1Transport(node_name)
    if bridge == "rosbridge":
        from embodied.deploy.rosbridge import RosbridgeTransport

        return RosbridgeTransport(rosbridge.host, rosbridge.port)
    raise ValueError(f"unknown bridge {bridge!r}; valid: {', '.join(BRIDGES)}")
