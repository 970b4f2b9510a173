"""ROS messages as plain dicts (rosbridge's JSON form): decode observations, encode commands.

Every decoder first checks the fields it reads against the message type's schema
(``embodied.deploy.schema``), then finiteness, shape and the profile's bounds, and raises
``MessageRejected`` with a short reason; a rejected message never reaches the agent.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from embodied.deploy import schema
from embodied.deploy.schema import MessageRejected

Message = dict[str, Any]
log = logging.getLogger(__name__)

OBSERVATION_TYPES = (
    "sensor_msgs/JointState",
    "geometry_msgs/Vector3Stamped",
    "nav_msgs/Odometry",
    "sensor_msgs/Image",
)
COMMAND_TYPES = ("std_msgs/Float64MultiArray", "geometry_msgs/Twist")
QUATERNION_TOLERANCE = 0.01  # how far an orientation's norm may be from 1
JOINT_FIELDS = ("position", "velocity", "effort")
TWIST_AXES = tuple(f"{part}.{axis}" for part in ("linear", "angular") for axis in "xyz")


def log_rejection(topic: str, reason: str, count: int, error: Exception) -> None:
    """Log the 1st, 10th, 100th, ... rejection of a topic and reason (a flood stays readable)."""
    if count == 1 or math.log10(count).is_integer():
        log.warning("rejected message %d on %s (%s): %s", count, topic, reason, error)


def short_type(msg_type: str) -> str:
    """``pkg/Type`` from ``pkg/Type`` or ROS 2's ``pkg/msg/Type``."""
    parts = msg_type.split("/")
    if len(parts) == 3 and parts[1] == "msg":
        return f"{parts[0]}/{parts[2]}"
    if len(parts) != 2:
        raise ValueError(f"message type {msg_type!r} is not of the form pkg/Type")
    return msg_type


def check_type(msg_type: str, valid: Sequence[str], what: str) -> str:
    """``msg_type`` in ``pkg/Type`` form; a type not in ``valid`` raises an error listing them."""
    name = short_type(msg_type)
    if name not in valid:
        raise ValueError(f"{what} type {msg_type!r} is not supported; valid: {', '.join(valid)}")
    return name


def _finite(array: np.ndarray, what: str) -> np.ndarray:
    if not np.all(np.isfinite(array)):
        raise MessageRejected("non_finite", f"{what} has NaN or infinite entries")
    return array


def stamp(seconds: float) -> Message:
    """A header stamp in both ROS 1 (secs/nsecs) and ROS 2 (sec/nanosec) spelling."""
    sec = math.floor(seconds)
    nsec = int((seconds - sec) * 1e9)
    return {"secs": sec, "nsecs": nsec, "sec": sec, "nanosec": nsec}


def header(seconds: float, frame_id: str = "") -> Message:
    return {"seq": 0, "stamp": stamp(seconds), "frame_id": frame_id}


# ----- observations ---------------------------------------------------------------------------
class ObservationDecoder:
    """Turns one topic's messages into one observation entry of ``shape`` (a Gymnasium Box)."""

    def __init__(
        self,
        msg_type: str,
        shape: tuple[int, ...],
        joints: Sequence[str] = (),
        fields: Sequence[str] = ("position", "velocity"),
        low: Sequence[float] | None = None,
        high: Sequence[float] | None = None,
    ) -> None:
        self.msg_type = check_type(msg_type, OBSERVATION_TYPES, "observation")
        self.shape = tuple(shape)
        self.joints, self.fields = list(joints), list(fields)
        if self.msg_type == "sensor_msgs/JointState":
            if not self.joints:
                raise ValueError("a sensor_msgs/JointState observation needs its joint names")
            bad = [f for f in self.fields if f not in JOINT_FIELDS]
            if bad or not self.fields:
                raise ValueError(f"joint state fields {self.fields}; valid: {JOINT_FIELDS}")
        size = int(np.prod(self.shape))
        self.low = None if low is None else np.asarray(low, np.float64)
        self.high = None if high is None else np.asarray(high, np.float64)
        for name, bound in (("low", self.low), ("high", self.high)):
            if bound is not None and bound.shape != (size,):
                raise ValueError(f"{name} has {bound.size} entries; the observation has {size}")
        self._decode: Callable[[Message], np.ndarray] = {
            "sensor_msgs/JointState": self._joint_state,
            "geometry_msgs/Vector3Stamped": self._vector3,
            "nav_msgs/Odometry": self._odometry,
            "sensor_msgs/Image": self._image,
        }[self.msg_type]
        self.schema: schema.Schema = {
            "sensor_msgs/JointState": lambda: schema.joint_state(self.fields),
            "geometry_msgs/Vector3Stamped": lambda: schema.VECTOR3_STAMPED,
            "nav_msgs/Odometry": lambda: schema.ODOMETRY,
            "sensor_msgs/Image": lambda: schema.image(size),
        }[self.msg_type]()
        if self.msg_type == "sensor_msgs/Image" and (len(self.shape) != 3 or self.shape[2] != 3):
            raise ValueError(f"an rgb8 image observation has shape (H, W, 3), not {self.shape}")

    def __call__(self, msg: Message) -> np.ndarray:
        value = self._decode(schema.parse(msg, self.schema))
        if value.size != int(np.prod(self.shape)):
            raise MessageRejected(
                "shape", f"{value.size} values where the agent expects shape {self.shape}"
            )
        value = value.reshape(self.shape)
        if self.msg_type == "sensor_msgs/Image":
            return value
        flat = _finite(value.reshape(-1), self.msg_type)
        if (self.low is not None and np.any(flat < self.low)) or (
            self.high is not None and np.any(flat > self.high)
        ):
            raise MessageRejected("out_of_range", f"{np.round(flat, 3).tolist()} outside bounds")
        return value.astype(np.float32)

    def _joint_state(self, msg: Message) -> np.ndarray:
        names = msg["name"]
        missing = [j for j in self.joints if j not in names]
        if missing:
            raise MessageRejected("unknown_joint", f"no joint(s) {missing} in {names[:10]}")
        index = [names.index(j) for j in self.joints]
        parts = []
        for field in self.fields:
            values = msg[field]
            if values.shape != (len(names),):
                raise MessageRejected(
                    "malformed", f"{field} has {values.size} entries for {len(names)} names"
                )
            parts.append(values[index])
        return np.concatenate(parts)

    @staticmethod
    def _vector3(msg: Message) -> np.ndarray:
        return np.array([msg["vector"][a] for a in "xyz"], np.float64)

    @staticmethod
    def _odometry(msg: Message) -> np.ndarray:
        pose, twist = msg["pose"]["pose"], msg["twist"]["twist"]
        x, y = pose["position"]["x"], pose["position"]["y"]
        q = np.array([pose["orientation"][a] for a in "xyzw"], np.float64)
        norm = float(np.linalg.norm(_finite(q, "nav_msgs/Odometry orientation")))
        if abs(norm - 1.0) > QUATERNION_TOLERANCE:
            raise MessageRejected("malformed", f"orientation is no unit quaternion ({norm:.3g})")
        qx, qy, qz, qw = q.tolist()
        yaw = math.atan2(2.0 * (qw * qz + qx * qy), 1.0 - 2.0 * (qy * qy + qz * qz))
        vx, vy, wz = twist["linear"]["x"], twist["linear"]["y"], twist["angular"]["z"]
        return np.array([x, y, yaw, vx, vy, wz], np.float64)

    def _image(self, msg: Message) -> np.ndarray:
        if msg["encoding"] != "rgb8":
            raise MessageRejected("malformed", f"image encoding {msg['encoding']!r}; valid: rgb8")
        height, width, step, data = msg["height"], msg["width"], msg["step"], msg["data"]
        if (height, width) != self.shape[:2]:
            raise MessageRejected(
                "shape", f"a {width}×{height} image where the agent expects {self.shape[1]}×"
                f"{self.shape[0]}"
            )  # fmt: skip
        if step != width * 3 or len(data) != height * step:
            raise MessageRejected("malformed", f"{len(data)} bytes for a {width}×{height} rgb8")
        return np.frombuffer(data, np.uint8).reshape(height, width, 3)


def observation_decoder(spec: Any, shape: tuple[int, ...]) -> ObservationDecoder:
    """The decoder of an observation topic config (``ObservationTopicConfig``)."""
    return ObservationDecoder(spec.type, shape, spec.joints, spec.fields, spec.low, spec.high)


def encode_observation(msg_type: str, value: np.ndarray, seconds: float, **spec: Any) -> Message:
    """The message of ``msg_type`` carrying ``value`` (inverse of ``ObservationDecoder``)."""
    msg_type = check_type(msg_type, OBSERVATION_TYPES, "observation")
    value = np.asarray(value)
    if msg_type == "sensor_msgs/JointState":
        joints, fields = list(spec["joints"]), list(spec["fields"])
        parts = value.reshape(len(fields), len(joints)).tolist()
        msg = {"header": header(seconds), "name": joints, "position": [], "velocity": [],
               "effort": []}  # fmt: skip
        msg.update(zip(fields, parts, strict=True))
        return msg
    if msg_type == "geometry_msgs/Vector3Stamped":
        x, y, z = value.astype(float).tolist()
        return {"header": header(seconds), "vector": {"x": x, "y": y, "z": z}}
    if msg_type == "nav_msgs/Odometry":
        x, y, yaw, vx, vy, wz = value.astype(float).tolist()
        pose = {
            "position": {"x": x, "y": y, "z": 0.0},
            "orientation": {"x": 0.0, "y": 0.0, "z": math.sin(yaw / 2), "w": math.cos(yaw / 2)},
        }
        twist = {"linear": {"x": vx, "y": vy, "z": 0.0}, "angular": {"x": 0.0, "y": 0.0, "z": wz}}
        return {"header": header(seconds, "odom"), "child_frame_id": "base_link",
                "pose": {"pose": pose, "covariance": [0.0] * 36},
                "twist": {"twist": twist, "covariance": [0.0] * 36}}  # fmt: skip
    height, width = value.shape[:2]
    return {"header": header(seconds), "height": height, "width": width, "encoding": "rgb8",
            "is_bigendian": 0, "step": width * 3,
            "data": value.astype(np.uint8).tobytes()}  # fmt: skip


# ----- commands -------------------------------------------------------------------------------
class CommandCodec:
    """Action vectors ↔ command messages (Float64MultiArray or Twist), ``size`` entries."""

    def __init__(self, msg_type: str, size: int, twist_axes: Sequence[str] = ()) -> None:
        self.msg_type = check_type(msg_type, COMMAND_TYPES, "command")
        self.size = size
        self.twist_axes = list(twist_axes)
        if self.msg_type == "geometry_msgs/Twist":
            bad = [a for a in self.twist_axes if a not in TWIST_AXES]
            if bad or len(self.twist_axes) != size:
                raise ValueError(
                    f"twist_axes {self.twist_axes} must name {size} of {', '.join(TWIST_AXES)}"
                )
        self.schema = (
            schema.FLOAT64_MULTI_ARRAY
            if self.msg_type == "std_msgs/Float64MultiArray"
            else schema.twist(self.twist_axes)
        )

    def encode(self, action: np.ndarray) -> Message:
        values = np.asarray(action, np.float64).reshape(self.size).tolist()
        if self.msg_type == "std_msgs/Float64MultiArray":
            return {"layout": {"dim": [], "data_offset": 0}, "data": values}
        msg: Message = {"linear": {"x": 0.0, "y": 0.0, "z": 0.0},
                        "angular": {"x": 0.0, "y": 0.0, "z": 0.0}}  # fmt: skip
        for axis, value in zip(self.twist_axes, values, strict=True):
            part, name = axis.split(".")
            msg[part][name] = value
        return msg

    def decode(self, msg: Message) -> np.ndarray:
        """The action a command message carries; malformed or non-finite ones are rejected."""
        fields = schema.parse(msg, self.schema)
        if self.msg_type == "std_msgs/Float64MultiArray":
            values = fields["data"]
        else:
            values = np.array(
                [fields[a.split(".")[0]][a.split(".")[1]] for a in self.twist_axes], np.float64
            )
        if values.shape != (self.size,):
            raise MessageRejected("shape", f"{values.size} values for {self.size} actuators")
        return _finite(values, self.msg_type)


def decode_bool(msg: Message) -> bool:
    """The flag of a std_msgs/Bool (the e-stop topic)."""
    return schema.parse(msg, schema.BOOL)["data"]


def decode_empty(msg: Message) -> None:
    """Check a std_msgs/Empty (the re-arm topic): any object."""
    schema.parse(msg, schema.EMPTY)
