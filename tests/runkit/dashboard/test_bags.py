"""A deploy session's bag, written in the ROS 1 format embodied.deploy records, as traces."""

import json

from runkit.dashboard.bags import EVENTS_TOPIC, bag_traces
from runkit.dashboard.views import deploy_view


def write_bag(path):
    from rosbags.rosbag1 import Writer
    from rosbags.typesys import Stores, get_typestore

    store = get_typestore(Stores.ROS1_NOETIC)
    twist = store.types["geometry_msgs/msg/Twist"]
    vector = store.types["geometry_msgs/msg/Vector3"]
    text = store.types["std_msgs/msg/String"]
    with Writer(path) as writer:
        cmd = writer.add_connection("/cmd_vel", "geometry_msgs/msg/Twist", typestore=store)
        events = writer.add_connection(EVENTS_TOPIC, "std_msgs/msg/String", typestore=store)
        for i in range(5):
            msg = twist(linear=vector(x=0.1 * i, y=0.0, z=0.0), angular=vector(x=0.0, y=0.0, z=1.0))
            raw = store.serialize_ros1(msg, "geometry_msgs/msg/Twist")
            writer.write(cmd, 1_000_000_000 + i * 100_000_000, raw)
        stop = text(data=json.dumps({"kind": "watchdog_stop", "reason": "stale observation"}))
        writer.write(events, 1_450_000_000, store.serialize_ros1(stop, "std_msgs/msg/String"))


def test_bag_traces_have_every_numeric_field_and_the_events(tmp_path):
    write_bag(tmp_path / "session.bag")
    traces = bag_traces(tmp_path / "session.bag")
    linear = traces["series"]["/cmd_vel linear.x"]
    assert linear["x"] == [0.0, 0.1, 0.2, 0.3, 0.4]
    assert linear["y"] == [0.0, 0.1, 0.2, 0.30000000000000004, 0.4]
    assert traces["events"] == [
        {"t": 0.45, "event": {"kind": "watchdog_stop", "reason": "stale observation"}}
    ]


def test_deploy_view_says_why_there_are_no_traces(tmp_path):
    assert "recorded no bag" in deploy_view(tmp_path)["note"]
    (tmp_path / "session.bag").write_bytes(b"not a bag")
    assert "cannot read session.bag" in deploy_view(tmp_path)["note"]
