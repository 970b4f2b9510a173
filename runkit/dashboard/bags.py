"""A deploy session's ROS 1 bag (``session.bag``) as numeric traces over time, read with
``rosbags`` (the format ``embodied.deploy`` records; its ``/deploy/events`` topic holds JSON
lines such as watchdog stops, shown as events on the same time axis)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

EVENTS_TOPIC = "/deploy/events"
MAX_SERIES = 24
MAX_POINTS = 4000


def _numbers(value: Any, name: str, out: dict[str, float]) -> None:
    """The numeric leaves of a message as ``{"field.sub[i]": value}``."""
    if hasattr(value, "__dataclass_fields__"):
        for field in value.__dataclass_fields__:
            if not field.startswith("__") and field != "header":
                _numbers(getattr(value, field), f"{name}.{field}" if name else field, out)
    elif isinstance(value, np.ndarray) and value.dtype != np.uint8 and value.size <= 16:
        for i, item in enumerate(value.reshape(-1).tolist()):
            out[f"{name}[{i}]"] = float(item)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        out[name] = float(value)


def bag_traces(path: Path) -> dict[str, Any]:
    """``{"series": {"topic field": {"x": seconds, "y": values}}, "events": [...]}``."""
    from rosbags.rosbag1 import Reader
    from rosbags.typesys import Stores, get_typestore

    store = get_typestore(Stores.ROS1_NOETIC)
    series: dict[str, dict[str, list[float]]] = {}
    events: list[dict[str, Any]] = []
    start = None
    with Reader(path) as reader:
        for connection, stamp_ns, raw in reader.messages():
            start = stamp_ns if start is None else start
            seconds = (stamp_ns - start) / 1e9
            message = store.deserialize_ros1(raw, connection.msgtype)
            if connection.topic == EVENTS_TOPIC:
                try:
                    payload = json.loads(message.data)
                except ValueError:
                    payload = {"text": str(message.data)}
                events.append({"t": seconds, "event": payload})
                continue
            values: dict[str, float] = {}
            _numbers(message, "", values)
            for field, value in values.items():
                key = f"{connection.topic} {field}"
                if key not in series and len(series) >= MAX_SERIES:
                    continue
                trace = series.setdefault(key, {"x": [], "y": []})
                trace["x"].append(seconds)
                trace["y"].append(value)
    for trace in series.values():  # keep every k-th point of long traces
        step = max(1, len(trace["x"]) // MAX_POINTS)
        trace["x"], trace["y"] = trace["x"][::step], trace["y"][::step]
    return {"series": series, "events": events}
