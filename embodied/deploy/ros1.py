"""ROS 1 transport through rospy (Debian's python3-rospy; ``make install`` puts it on the path)."""

from __future__ import annotations

import logging
import os
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from embodied.deploy.messages import Message, short_type
from embodied.deploy.outbox import Outbox
from embodied.deploy.transport import Callback, Publish


class QuietRospy(logging.Filter):
    """Keeps rospy's INFO chatter (a line per connection and topic) off the console."""

    def filter(self, record: logging.LogRecord) -> bool:
        chatter = record.name.startswith(("rospy", "rosout")) and record.levelno < logging.WARNING
        return not chatter


def quiet_rospy_on_console() -> None:
    """Filter rospy's INFO lines out of the root logger's console handlers; files keep them."""
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.FileHandler):
            continue
        if not any(isinstance(f, QuietRospy) for f in handler.filters):
            handler.addFilter(QuietRospy())


quiet_rospy_on_console()  # before importing rospy: its import logs already
try:
    import genpy
    import roslib.message
    import rospy
except ImportError as error:  # pragma: no cover - depends on the system packages
    raise ImportError(
        "bridge=ros1 needs rospy and the ROS message packages: run `make install` (as root it "
        "installs ros-core and python3-rospy and puts Debian's ROS packages on the venv's path)"
    ) from error

CLOSE_TIMEOUT_S = 1.0  # how long close waits for queued messages (the stop) to go out


def message_class(msg_type: str) -> type[genpy.Message]:
    """The rospy class of ``pkg/Type``; an unknown type is an error naming it."""
    cls = roslib.message.get_message_class(short_type(msg_type))
    if cls is None:
        raise ValueError(f"no ROS 1 message type {msg_type!r} is installed")
    return cls


def to_dict(msg: Any) -> Any:
    """A rospy message as a plain dict (times as secs/nsecs)."""
    if isinstance(msg, genpy.Message):
        return {slot: to_dict(getattr(msg, slot)) for slot in msg.__slots__}
    if isinstance(msg, genpy.TVal):
        return {"secs": msg.secs, "nsecs": msg.nsecs}
    if isinstance(msg, (list, tuple)):
        return [to_dict(item) for item in msg]
    return msg


def from_dict(cls: type[genpy.Message], data: Message) -> genpy.Message:
    """A rospy message of ``cls`` filled from ``data`` (missing fields keep their defaults)."""
    msg = cls()
    for slot, slot_type in zip(cls.__slots__, cls._slot_types, strict=True):
        if slot not in data:
            continue
        value = data[slot]
        base = slot_type.split("[")[0]
        if base in ("time", "duration"):
            secs = value.get("secs", value.get("sec", 0))
            nsecs = value.get("nsecs", value.get("nanosec", 0))
            value = (genpy.Time if base == "time" else genpy.Duration)(secs, nsecs)
        elif "/" in base or base == "Header":
            nested = message_class("std_msgs/Header" if base == "Header" else base)
            if slot_type.endswith("]"):
                value = [from_dict(nested, item) for item in value]
            else:
                value = from_dict(nested, value)
        setattr(msg, slot, value)
    return msg


@contextmanager
def _keep_logging() -> Iterator[None]:
    """rospy.init_node reconfigures logging (fileConfig); keep the run's handlers and loggers."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    enabled = [
        logger
        for logger in logging.root.manager.loggerDict.values()
        if isinstance(logger, logging.Logger) and not logger.disabled
    ]
    try:
        yield
    finally:
        for handler in handlers:
            if handler not in root.handlers:
                root.addHandler(handler)
        root.setLevel(level)
        for logger in enabled:
            logger.disabled = False


class Ros1Transport:
    """One rospy node per process (rospy's rule); signals stay with the application."""

    def __init__(self, node_name: str) -> None:
        if "ROS_MASTER_URI" not in os.environ:
            raise RuntimeError("bridge=ros1 needs ROS_MASTER_URI (e.g. http://127.0.0.1:11311)")
        quiet_rospy_on_console()
        with _keep_logging():
            rospy.init_node(node_name, anonymous=False, disable_signals=True)
        quiet_rospy_on_console()
        self._handles: list[Any] = []
        self._outboxes: list[Outbox] = []

    def subscribe(self, topic: str, msg_type: str, callback: Callback) -> None:
        def receive(msg: genpy.Message) -> None:
            callback(to_dict(msg), time.monotonic())

        self._handles.append(
            rospy.Subscriber(topic, message_class(msg_type), receive, tcp_nodelay=True)
        )

    def publisher(self, topic: str, msg_type: str) -> Publish:
        """Publishes through an outbox: rospy's own queue drops what is queued on unregister,
        which lost the stop sent just before shutdown; the outbox delivers it before ``close``."""
        cls = message_class(msg_type)
        with warnings.catch_warnings():  # queue_size=None (synchronous) warns; the outbox queues
            warnings.simplefilter("ignore", SyntaxWarning)
            pub = rospy.Publisher(topic, cls, queue_size=None, tcp_nodelay=True)
        outbox = Outbox(pub.publish, topic)
        self._handles.append(pub)
        self._outboxes.append(outbox)
        return lambda data: outbox.put(from_dict(cls, data))

    def close(self) -> None:
        for outbox in self._outboxes:
            outbox.close(timeout_s=CLOSE_TIMEOUT_S)
        self._outboxes.clear()
        for handle in self._handles:
            handle.unregister()
        self._handles.clear()
        rospy.signal_shutdown("closed")
