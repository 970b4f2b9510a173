"""Through a real roscore: bad messages rejected, a latching e-stop and its re-arm, SIGINT, and a
dry run with wm_mpc."""

from __future__ import annotations

import math
import signal
import time

import numpy as np

from embodied.deploy.launch import finish, finish_session, start_app, stop
from tests.embodied.deploy.nodes import Listener

# this test is not about staleness: a starved test process (2 loaded cores) must not trip it
RELAXED_STALENESS = ["robot.stale_after_s=2.0"]


def _publish_until_connected(pub, timeout: float = 90.0) -> None:  # a slow start on 2 loaded cores
    deadline = time.monotonic() + timeout
    while pub.get_num_connections() == 0:
        assert time.monotonic() < deadline, f"nobody subscribed to {pub.name}"
        time.sleep(0.02)


def test_bad_messages_are_rejected_and_counted_estop_latches_and_sigint_stops(ros_node, tmp_path):
    import rospy
    from geometry_msgs.msg import Vector3Stamped
    from sensor_msgs.msg import JointState
    from std_msgs.msg import Bool, Empty, Float64MultiArray

    commands = Listener("/arm/joint_command", Float64MultiArray)
    states = rospy.Publisher("/arm/joint_states", JointState, queue_size=100)
    goal = rospy.Publisher("/arm/goal_offset", Vector3Stamped, queue_size=100)
    estop = rospy.Publisher("/arm/estop", Bool, queue_size=10)
    rearm = rospy.Publisher("/arm/rearm", Empty, queue_size=10)
    deploy = start_app("embodied.deploy", tmp_path / "deploy", RELAXED_STALENESS)
    joints = ["arm_yaw", "arm_shoulder", "arm_elbow"]
    bad = {
        "out_of_range": JointState(name=joints, position=[0.0, 9.0, 0.0], velocity=[0.0] * 3),
        "malformed": JointState(name=joints, position=[0.0, 0.1], velocity=[0.0] * 3),
        "unknown_joint": JointState(name=["a", "b", "c"], position=[0.0] * 3, velocity=[0.0] * 3),
        "non_finite": JointState(name=joints, position=[math.nan, 0, 0], velocity=[0.0] * 3),
    }
    good = JointState(name=joints, position=[0.1, 0.2, 0.3], velocity=[0.0] * 3)
    try:
        for pub in (states, goal, estop, rearm):
            _publish_until_connected(pub)
        goal_msg = Vector3Stamped()
        goal_msg.vector.x = 0.05
        rate = rospy.Rate(40)
        published = 0

        def publish_good(times: int = 1) -> None:
            nonlocal published
            for _ in range(times):
                states.publish(good)
                goal.publish(goal_msg)
                published += 1
                rate.sleep()

        def publish_good_until(count: int, timeout: float = 60.0) -> None:
            """Fresh data until ``count`` commands arrived (a loaded machine may be slow)."""
            deadline = time.monotonic() + timeout
            while len(commands.snapshot()) < count:
                assert time.monotonic() < deadline, f"fewer than {count} commands"
                publish_good()

        for _ in range(3):  # bad joint states only: the agent never gets an observation
            for msg in bad.values():
                states.publish(msg)
                goal.publish(goal_msg)
                rate.sleep()
        time.sleep(0.3)
        assert commands.snapshot() == [], "a rejected message reached the agent"
        publish_good_until(10)  # good ones: commands flow
        estop.publish(Bool(data=True))
        commands.wait_for_silence(0.3)
        count = len(commands.snapshot())
        publish_good(10)  # the e-stop holds the arm while fresh data keeps coming
        assert len(commands.snapshot()) == count
        np.testing.assert_allclose(commands.snapshot()[-1][1].data, good.position)
        estop.publish(Bool(data=False))
        publish_good(20)  # released but not re-armed: the arm stays stopped
        time.sleep(0.2)
        assert len(commands.snapshot()) == count
        rearm.publish(Empty())
        publish_good_until(count + 5)  # re-armed: commands resume
        deploy.send_signal(signal.SIGINT)
        metrics = finish(deploy, tmp_path / "deploy", timeout=20)
    finally:
        stop(deploy)
        commands.close()
        for pub in (states, goal, estop, rearm):
            pub.unregister()
    assert metrics["interrupted"] is True
    assert metrics["rejected"] == {"/arm/joint_states": {reason: 3 for reason in bad}}
    assert metrics["observations_received"]["/arm/joint_states"] == published
    assert [s["reason"] for s in metrics["stops"]] == ["estop"] and metrics["rearms"] == 1
    assert (tmp_path / "deploy" / "session.bag").stat().st_size > 0
    console = (tmp_path / "deploy.out").read_text()
    assert "re-arm" in console and "/arm/rearm" in console
    assert "adding connection" not in console  # rospy's chatter stays in run.log


def test_dry_run_of_a_world_model_agent_logs_commands_and_sends_none(
    ros_node, tmp_path, wm_checkpoint
):
    from std_msgs.msg import Float64MultiArray

    commands = Listener("/arm/joint_command", Float64MultiArray)
    small = ["num_samples=32", "num_elites=4", "num_policy_samples=4", "iterations=1"]
    agent = ["agent=wm_mpc", f"checkpoint={wm_checkpoint}", *(f"agent.planner.{s}" for s in small)]
    sim = start_app("embodied.deploy.sim_robot", tmp_path / "sim", [])
    # not about overruns: a planner starved on 2 loaded cores must not hold every command back
    slack = ["robot.overrun_periods=25"]
    deploy = start_app(
        "embodied.deploy", tmp_path / "deploy", [*agent, *slack, "dry_run=true", "duration_s=3"]
    )
    try:
        metrics, sim_metrics = finish_session(deploy, sim, tmp_path)
    finally:
        commands.close()
    assert metrics["agent"].endswith("WorldModelMPCAgent")
    assert commands.snapshot() == [] and sim_metrics["commands_received"] == 0
    # a 3 s session; a planner starved on 2 loaded cores managed 16 commands (5 Hz)
    assert metrics["commands_sent"] == 0 and metrics["commands_logged"] > 5
    assert "dry run: /arm/joint_command" in (tmp_path / "deploy" / "run.log").read_text()
