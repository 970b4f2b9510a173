"""The rosbridge transport against a rosbridge v2 websocket server on loopback."""

from __future__ import annotations

import json

from websockets.sync.client import connect

from embodied.deploy.launch import finish_session, start_app, stop

BAD_GOALS = [
    {"header": {}, "vector": {"x": "far", "y": 0.0, "z": 0.0}},  # malformed: not a number
    {"header": {}},  # malformed: no vector
    {"header": {}, "vector": {"x": 9.0, "y": 0.0, "z": 0.0}},  # out of range
    {"header": {}, "vector": {"x": 0.1, "y": None, "z": 0.0}},  # malformed: null
]


def test_closed_loop_over_rosbridge_rejects_bad_json_messages(rosbridge_port, tmp_path):
    bridge = ["bridge=rosbridge", f"rosbridge.port={rosbridge_port}"]
    sim = start_app("embodied.deploy.sim_robot", tmp_path / "sim", [*bridge, "run.seed=1"])
    deploy = start_app("embodied.deploy", tmp_path / "deploy", [*bridge, "duration_s=4"])
    try:
        with connect(f"ws://127.0.0.1:{rosbridge_port}") as client:
            client.send(json.dumps({"op": "advertise", "topic": "/arm/goal_offset",
                                    "type": "geometry_msgs/msg/Vector3Stamped"}))  # fmt: skip
            client.send(json.dumps({"op": "subscribe", "topic": "/arm/joint_command"}))
            reply = json.loads(client.recv(timeout=90))  # the bridge drives the arm
            assert reply["op"] == "publish" and len(reply["msg"]["data"]) == 3
            for msg in BAD_GOALS:
                client.send(json.dumps({"op": "publish", "topic": "/arm/goal_offset", "msg": msg}))
        metrics, sim_metrics = finish_session(deploy, sim, tmp_path)
    finally:
        stop(deploy)
        stop(sim)
    assert metrics["bridge"] == "rosbridge" and metrics["commands_sent"] > 50
    assert metrics["rejected"] == {"/arm/goal_offset": {"malformed": 3, "out_of_range": 1}}
    assert "stale" not in [event["reason"] for event in metrics["stops"]]
    assert sim_metrics["first_success_s"] is not None, sim_metrics
    assert sim_metrics["distance_to_goal"] < 0.05
