"""A deploy session as a ROS 1 bag (the ``rosbags`` package), and reading it back for replay.

The bag holds every observation message the agent acted on, every command sent (agent commands
and watchdog stops) and, on ``/deploy/events``, a JSON line before each stop, in the order they
happened, so replaying the observations through the same agent must give the same commands.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from rosbags.rosbag1 import Reader, Writer
from rosbags.typesys import Stores, get_typestore
from rosbags.typesys.store import Typestore

from embodied.deploy.messages import Message, short_type

EVENTS_TOPIC = "/deploy/events"
EVENTS_TYPE = "std_msgs/String"
_BASE, _NAME, _ARRAY, _SEQUENCE = 1, 2, 3, 4


def typestore() -> Typestore:
    return get_typestore(Stores.ROS1_NOETIC)


def rosbags_type(msg_type: str) -> str:
    package, name = short_type(msg_type).split("/")
    return f"{package}/msg/{name}"


def to_rosbags(store: Typestore, msg_type: str, data: Message) -> Any:
    """A rosbags message object of ``msg_type`` from a dict (missing fields become defaults)."""
    _, fields = store.fielddefs[msg_type]
    values = {}
    for name, (kind, detail) in fields:
        value = data.get(name) if isinstance(data, dict) else None
        if msg_type == "builtin_interfaces/msg/Time":  # ROS 1 dicts spell it secs/nsecs
            value = data.get(name, data.get({"sec": "secs", "nanosec": "nsecs"}[name], 0))
        values[name] = _field(store, kind, detail, value)
    return store.types[msg_type](**values)


def _field(store: Typestore, kind: int, detail: Any, value: Any) -> Any:
    if kind == _NAME:
        return to_rosbags(store, detail, value or {})
    if kind == _BASE:
        base = detail[0]
        if base == "string":
            return "" if value is None else str(value)
        if base == "bool":
            return bool(value)
        return (float if base.startswith("float") else int)(value or 0)
    (item_kind, item_detail), _ = detail
    items = [] if value is None else value
    if item_kind == _BASE and item_detail[0] not in ("string", "bool"):
        dtype = np.dtype(item_detail[0])
        if dtype == np.uint8 and isinstance(items, str):
            items = base64.b64decode(items)
        if isinstance(items, (bytes, bytearray)):
            return np.frombuffer(bytes(items), np.uint8).copy()
        return np.asarray(items, dtype=dtype).reshape(-1)
    return [_field(store, item_kind, item_detail, item) for item in items]


def from_rosbags(msg: Any) -> Any:
    """A rosbags message object as a plain dict (arrays as lists, uint8 data as bytes)."""
    if hasattr(msg, "__dataclass_fields__"):
        names = [name for name in msg.__dataclass_fields__ if not name.startswith("__")]
        return {name: from_rosbags(getattr(msg, name)) for name in names}
    if isinstance(msg, np.ndarray):
        return msg.tobytes() if msg.dtype == np.uint8 else msg.tolist()
    if isinstance(msg, list):
        return [from_rosbags(item) for item in msg]
    return msg


class BagRecorder:
    """Writes messages of known topics to ``path`` as they happen (nanosecond wall stamps)."""

    def __init__(self, path: str | Path, topics: dict[str, str]) -> None:
        self.path = Path(path)
        self.store = typestore()
        self.writer = Writer(self.path)
        self.writer.open()
        self.connections = {}
        for topic, msg_type in {**topics, EVENTS_TOPIC: EVENTS_TYPE}.items():
            name = rosbags_type(msg_type)
            self.connections[topic] = (
                self.writer.add_connection(topic, name, typestore=self.store),
                name,
            )
        self.count = 0
        self._last_ns = 0

    def write(self, topic: str, data: Message, stamp_ns: int) -> None:
        """Append a message; stamps are made strictly increasing so reading keeps the order."""
        connection, name = self.connections[topic]
        raw = self.store.serialize_ros1(to_rosbags(self.store, name, data), name)
        self._last_ns = max(stamp_ns, self._last_ns + 1)
        self.writer.write(connection, self._last_ns, raw)
        self.count += 1

    def event(self, payload: dict[str, Any], stamp_ns: int) -> None:
        self.write(EVENTS_TOPIC, {"data": json.dumps(payload)}, stamp_ns)

    def close(self) -> None:
        self.writer.close()


@dataclass
class BagMessage:
    topic: str
    stamp_ns: int
    data: Any


def read_bag(path: str | Path) -> Iterator[BagMessage]:
    """The messages of a recorded session, in order, as dicts."""
    store = typestore()
    with Reader(Path(path)) as reader:
        for connection, stamp_ns, raw in reader.messages():
            msg = store.deserialize_ros1(raw, connection.msgtype)
            yield BagMessage(connection.topic, stamp_ns, from_rosbags(msg))
