"""The navigate profile through a real roscore: odometry in, Twist commands out, zero stop."""

from __future__ import annotations

from embodied.deploy.launch import finish_session, start_app
from tests.embodied.deploy.nodes import Listener


def test_mobile_base_takes_clamped_twists_and_stops_with_zero_velocity(ros_node, tmp_path):
    from geometry_msgs.msg import Twist

    twists = Listener("/base/cmd_vel", Twist)
    robot = ["robot=navigate"]
    sim = start_app("embodied.deploy.sim_robot", tmp_path / "sim", [*robot, "scene=navigate"])
    deploy = start_app(
        "embodied.deploy", tmp_path / "deploy", [*robot, "agent=random", "duration_s=2"]
    )
    try:
        metrics, sim_metrics = finish_session(deploy, sim, tmp_path)
    finally:
        twists.close()
    received = [msg for _, msg in twists.snapshot()]
    assert metrics["commands_sent"] > 20 and metrics["rejected_total"] == 0
    # the commands and the shutdown stop reach the robot (a ROS 1 subscriber's connection is
    # set up asynchronously, so the first one or two may go out before it is)
    sent = metrics["commands_sent"] + 1
    assert sent - 5 <= sim_metrics["commands_received"] <= sent
    assert sent - 5 <= len(received) <= sent
    assert sim_metrics["path_length"] > 0.0  # the base moved
    for msg in received[:-1]:
        assert abs(msg.linear.x) <= 1.0 and abs(msg.linear.y) <= 1.0
        assert abs(msg.angular.z) <= 1.5 and msg.linear.z == 0.0
    last = received[-1]  # the shutdown stop
    assert (last.linear.x, last.linear.y, last.angular.z) == (0.0, 0.0, 0.0)
