"""Message schemas: every field a decoder reads, with its ROS type, checked before decoding.

A message arrives as untrusted JSON-like data (rosbridge) or a rospy message turned into a dict.
``parse(msg, schema)`` returns only the schema's fields, each converted to a plain value of its
type (float, int, str, bool, bytes or a float64 array), or raises ``MessageRejected`` naming the
field and what is valid; nothing else (no TypeError, OverflowError, binascii.Error) escapes.
Fields a decoder does not read are not looked at.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any, Union

import numpy as np

MAX_ARRAY_LEN = 4096  # entries of a float64[] or string[] (joint names, command values)
MAX_STRING_LEN = 256
UINT32_MAX = 2**32 - 1
KINDS = ("float64", "uint32", "bool", "string", "float64[]", "string[]", "uint8[]")


class MessageRejected(ValueError):
    """A message that is malformed or out of range; ``reason`` is the counter it goes under."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason


def _malformed(path: str, expected: str, value: Any) -> MessageRejected:
    shown = repr(value)
    shown = shown if len(shown) <= 40 else shown[:37] + "..."
    return MessageRejected("malformed", f"{path} must be {expected}, got {shown}")


def _is_real(value: Any) -> bool:
    """A JSON/ROS number: int or float (numpy scalars too), never a bool."""
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(
        value, (bool, np.bool_)
    )


def _float(value: Any, path: str) -> float:
    if not _is_real(value):
        raise _malformed(path, "a number", value)
    try:
        return float(value)
    except OverflowError:  # an int beyond float64
        raise _malformed(path, "a float64", value) from None


@dataclass(frozen=True)
class Field:
    """One leaf of a schema: its ROS type and, for arrays, the most entries it may have."""

    kind: str
    max_len: int = MAX_ARRAY_LEN

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"field kind {self.kind!r}; valid: {', '.join(KINDS)}")

    def parse(self, value: Any, path: str) -> Any:
        """``value`` as this field's plain type; ``MessageRejected`` when it is not one."""
        if self.kind == "float64":
            return _float(value, path)
        if self.kind == "uint32":
            if not isinstance(value, (int, np.integer)) or isinstance(value, (bool, np.bool_)):
                raise _malformed(path, "an unsigned integer", value)
            if not 0 <= value <= UINT32_MAX:
                raise _malformed(path, "a uint32", value)
            return int(value)
        if self.kind == "bool":  # ROS 1 serialises bool as uint8: 0 and 1 pass too
            if isinstance(value, (bool, np.bool_)):
                return bool(value)
            if isinstance(value, int) and value in (0, 1):
                return bool(value)
            raise _malformed(path, "a boolean", value)
        if self.kind == "string":
            if not isinstance(value, str) or len(value) > MAX_STRING_LEN:
                raise _malformed(path, f"a string of at most {MAX_STRING_LEN} characters", value)
            return value
        if self.kind == "uint8[]":
            return self._bytes(value, path)
        if not isinstance(value, (list, tuple, np.ndarray)) or len(value) > self.max_len:
            raise _malformed(path, f"a list of at most {self.max_len} entries", value)
        if self.kind == "string[]":
            return [Field("string").parse(item, f"{path}[{i}]") for i, item in enumerate(value)]
        return np.array([_float(item, f"{path}[{i}]") for i, item in enumerate(value)], np.float64)

    def _bytes(self, value: Any, path: str) -> bytes:
        """uint8[]: bytes (rospy), base64 text (rosbridge) or a list of ints in 0..255."""
        if isinstance(value, (bytes, bytearray)):
            data = bytes(value)
        elif isinstance(value, np.ndarray) and value.dtype == np.uint8:  # read from a bag
            data = value.tobytes()
        elif isinstance(value, str):
            if len(value) > 4 * (self.max_len // 3 + 1):  # before decoding anything
                raise _malformed(path, f"base64 of at most {self.max_len} bytes", value)
            try:
                data = base64.b64decode(value, validate=True)
            except (binascii.Error, ValueError):
                raise _malformed(path, "valid base64", value) from None
        elif isinstance(value, (list, tuple)):
            if len(value) > self.max_len:
                raise _malformed(path, f"a list of at most {self.max_len} bytes", value)
            if not all(isinstance(b, int) and not isinstance(b, bool) for b in value):
                raise _malformed(path, "a list of integers in 0..255", value)
            if value and not (min(value) >= 0 and max(value) <= 255):
                raise _malformed(path, "a list of integers in 0..255", value)
            data = bytes(value)
        else:
            raise _malformed(path, "bytes, base64 text or a list of integers in 0..255", value)
        if len(data) > self.max_len:
            raise _malformed(path, f"at most {self.max_len} bytes", f"{len(data)} bytes")
        return data


Schema = dict[str, Union[Field, "Schema"]]


def parse(msg: Any, schema: Schema, path: str = "") -> dict[str, Any]:
    """The fields of ``schema`` read from ``msg``, each checked and converted (see module doc)."""
    if not isinstance(msg, dict):
        raise _malformed(path or "the message", "an object", msg)
    out: dict[str, Any] = {}
    for key, spec in schema.items():
        where = f"{path}.{key}" if path else key
        if key not in msg:
            raise MessageRejected("malformed", f"no field {where!r}")
        value = msg[key]
        out[key] = parse(value, spec, where) if isinstance(spec, dict) else spec.parse(value, where)
    return out


def xyz(*axes: str) -> Schema:
    """A Vector3-like message's float64 fields ``axes``."""
    return {axis: Field("float64") for axis in axes}


VECTOR3_STAMPED: Schema = {"vector": xyz("x", "y", "z")}
ODOMETRY: Schema = {
    "pose": {"pose": {"position": xyz("x", "y"), "orientation": xyz("x", "y", "z", "w")}},
    "twist": {"twist": {"linear": xyz("x", "y"), "angular": xyz("z")}},
}
BOOL: Schema = {"data": Field("bool")}
EMPTY: Schema = {}
FLOAT64_MULTI_ARRAY: Schema = {"data": Field("float64[]")}


def joint_state(fields: list[str]) -> Schema:
    """sensor_msgs/JointState: joint names and the float64[] ``fields`` read."""
    return {"name": Field("string[]"), **{name: Field("float64[]") for name in fields}}


def image(size: int) -> Schema:
    """sensor_msgs/Image of at most ``size`` bytes of pixel data."""
    return {
        "height": Field("uint32"),
        "width": Field("uint32"),
        "step": Field("uint32"),
        "encoding": Field("string"),
        "data": Field("uint8[]", max_len=size),
    }


def twist(axes: list[str]) -> Schema:
    """geometry_msgs/Twist: the ``part.axis`` entries read (e.g. ``linear.x``)."""
    schema: dict[str, Any] = {}
    for axis in axes:
        part, name = axis.split(".")
        schema.setdefault(part, {})[name] = Field("float64")
    return schema
