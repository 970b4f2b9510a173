"""Decoding observations, encoding commands, rejecting bad messages, bags (no ROS needed)."""

from __future__ import annotations

import base64
import math

import numpy as np
import pytest

from embodied.deploy.messages import (
    CommandCodec,
    MessageRejected,
    ObservationDecoder,
    decode_bool,
    encode_observation,
)
from embodied.deploy.recording import EVENTS_TOPIC, BagRecorder, read_bag

JOINTS = ["j0", "j1", "j2"]


def joint_decoder(**bounds) -> ObservationDecoder:
    return ObservationDecoder("sensor_msgs/JointState", (6,), JOINTS, ["position", "velocity"],
                              **bounds)  # fmt: skip


def test_joint_states_are_read_by_name_in_the_profile_order():
    msg = {"name": ["j2", "j0", "j1"], "position": [2.0, 0.0, 1.0], "velocity": [5, 3, 4]}
    np.testing.assert_array_equal(joint_decoder()(msg), [0, 1, 2, 3, 4, 5])


@pytest.mark.parametrize(
    "msg, reason",
    [
        ({"name": JOINTS, "position": [0, 0], "velocity": [0, 0, 0]}, "malformed"),
        ({"name": JOINTS, "velocity": [0, 0, 0]}, "malformed"),
        ({"name": JOINTS, "position": ["a", 0, 0], "velocity": [0, 0, 0]}, "malformed"),
        ({"name": JOINTS, "position": [None, 0, 0], "velocity": [0, 0, 0]}, "malformed"),
        ({"name": "j0", "position": [0, 0, 0], "velocity": [0, 0, 0]}, "malformed"),
        ([1, 2, 3], "malformed"),
        ({"name": ["j0", "j1"], "position": [0, 0], "velocity": [0, 0]}, "unknown_joint"),
        ({"name": JOINTS, "position": [0, math.inf, 0], "velocity": [0, 0, 0]}, "non_finite"),
        ({"name": JOINTS, "position": [0, 4.0, 0], "velocity": [0, 0, 0]}, "out_of_range"),
    ],
)
def test_bad_joint_states_are_rejected_with_their_reason(msg, reason):
    decode = joint_decoder(low=[-3.0] * 6, high=[3.0] * 6)
    with pytest.raises(MessageRejected) as info:
        decode(msg)
    assert info.value.reason == reason


def test_each_observation_type_round_trips_through_its_message():
    value = np.array([0.5, -1.0, 0.25, 0.0, 1.0, -0.5], np.float32)
    for msg_type, shape in [("geometry_msgs/Vector3Stamped", (3,)), ("nav_msgs/Odometry", (6,))]:
        data = value[: shape[0]]
        msg = encode_observation(msg_type, data, 12.5)
        np.testing.assert_allclose(ObservationDecoder(msg_type, shape)(msg), data, atol=1e-6)
    image = np.random.default_rng(0).integers(0, 255, (4, 5, 3), dtype=np.uint8)
    msg = encode_observation("sensor_msgs/Image", image, 0.0)
    decode = ObservationDecoder("sensor_msgs/Image", (4, 5, 3))
    np.testing.assert_array_equal(decode(msg), image)
    msg["data"] = base64.b64encode(msg["data"]).decode()  # rosbridge's uint8[] encoding
    np.testing.assert_array_equal(decode(msg), image)
    with pytest.raises(MessageRejected, match="shape"):
        ObservationDecoder("sensor_msgs/Image", (8, 8, 3))(msg)


def test_unsupported_types_and_bad_profiles_name_the_valid_choices():
    with pytest.raises(ValueError, match="sensor_msgs/JointState"):
        ObservationDecoder("sensor_msgs/LaserScan", (3,))
    with pytest.raises(ValueError, match="geometry_msgs/Twist"):
        CommandCodec("std_msgs/String", 3)
    with pytest.raises(ValueError, match=r"angular\.z"):
        CommandCodec("geometry_msgs/Twist", 2, ["linear.x", "linear.w"])
    with pytest.raises(ValueError, match="low has 2 entries"):
        joint_decoder(low=[0.0, 0.0])


def test_commands_encode_and_decode_for_joint_arrays_and_twists():
    twist = CommandCodec("geometry_msgs/Twist", 3, ["linear.x", "linear.y", "angular.z"])
    msg = twist.encode(np.array([0.5, -0.25, 1.0]))
    assert msg["linear"] == {"x": 0.5, "y": -0.25, "z": 0.0} and msg["angular"]["z"] == 1.0
    np.testing.assert_array_equal(twist.decode(msg), [0.5, -0.25, 1.0])
    joints = CommandCodec("std_msgs/Float64MultiArray", 3)
    np.testing.assert_array_equal(joints.decode(joints.encode([1, 2, 3])), [1, 2, 3])
    with pytest.raises(MessageRejected, match="shape"):
        joints.decode({"data": [1.0, 2.0]})
    with pytest.raises(MessageRejected, match="non_finite"):
        joints.decode({"data": [1.0, math.nan, 2.0]})


def test_estop_flag_must_be_a_boolean():
    assert decode_bool({"data": True}) is True and decode_bool({"data": False}) is False
    with pytest.raises(MessageRejected):
        decode_bool({"data": "yes"})


def test_bag_keeps_messages_in_order_and_round_trips_them(tmp_path):
    topics = {"/js": "sensor_msgs/JointState", "/cmd": "std_msgs/Float64MultiArray",
              "/img": "sensor_msgs/Image"}  # fmt: skip
    recorder = BagRecorder(tmp_path / "s.bag", topics)
    state = encode_observation("sensor_msgs/JointState", np.arange(6.0), 1.5, joints=JOINTS,
                               fields=["position", "velocity"])  # fmt: skip
    image = encode_observation("sensor_msgs/Image", np.full((2, 3, 3), 7, np.uint8), 1.5)
    command = CommandCodec("std_msgs/Float64MultiArray", 3).encode([1.0, 2.0, 3.0])
    recorder.write("/js", state, 100)
    recorder.write("/img", image, 100)
    recorder.event({"event": "stop"}, 100)
    recorder.write("/cmd", command, 50)  # an earlier clock reading still lands after
    recorder.close()
    messages = list(read_bag(tmp_path / "s.bag"))
    assert [m.topic for m in messages] == ["/js", "/img", EVENTS_TOPIC, "/cmd"]
    np.testing.assert_array_equal(joint_decoder()(messages[0].data), np.arange(6.0))
    assert ObservationDecoder("sensor_msgs/Image", (2, 3, 3))(messages[1].data).sum() == 7 * 18
    assert messages[3].data["data"] == [1.0, 2.0, 3.0]
