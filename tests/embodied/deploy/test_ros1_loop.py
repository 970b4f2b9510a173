"""Closed loop through a real roscore (bridge=ros1): reach, bag replay, watchdog on a kill."""

from __future__ import annotations

import signal

import numpy as np
import pytest
from hydra.utils import instantiate

from embodied.deploy.app import make_twin, robot_env
from embodied.deploy.launch import finish, finish_session, start_app, stop
from embodied.deploy.replay import replay_commands, replay_in_simulator
from tests.embodied.deploy.nodes import Listener
from tests.hydra_compose import compose_config

STALE_S = 0.2
QUIET_S = 1.0


@pytest.fixture(scope="module")
def reach_session(roscore, tmp_path_factory):
    """One closed-loop session: the bridge drives the simulated arm for 3 s, recording a bag."""
    root = tmp_path_factory.mktemp("reach")
    sim = start_app("embodied.deploy.sim_robot", root / "sim", ["run.seed=1"])
    deploy = start_app("embodied.deploy", root / "deploy", ["duration_s=3"])
    return root, *finish_session(deploy, sim, root)


def test_closed_loop_reaches_the_goal_through_ros(reach_session):
    _, deploy, sim = reach_session
    assert sim["first_success_s"] is not None and sim["distance_to_goal"] < 0.05, sim
    assert sim["commands_received"] >= 0.8 * deploy["commands_sent"] > 0
    assert deploy["rejected_total"] == 0
    assert deploy["rate_hz"] == 50.0 and 40.0 < deploy["sent_rate_hz"] <= 51.0, deploy
    assert deploy["latency_ms"]["p50"] < 50.0  # obs received → command published, 2 shared cores
    # the robot never went stale (an agent overrun on a loaded machine may hold it for a tick)
    assert "stale" not in [event["reason"] for event in deploy["stops"]]


def test_the_console_says_the_rate_commands_were_sent_at_and_not_rospys_chatter(reach_session):
    root, deploy, _ = reach_session
    console = (root / "deploy.out").read_text()
    assert "sending commands at" in console and "configured robot.rate_hz=50" in console
    assert f"at {deploy['sent_rate_hz']:.1f} Hz (configured 50 Hz)" in console
    assert "adding connection" not in console and "topicmanager" not in console
    assert "adding connection" in (root / "deploy" / "run.log").read_text()  # kept in the file


def test_recorded_bag_replays_to_the_same_commands(reach_session):
    root, deploy, _ = reach_session
    cfg = compose_config("deploy")
    env = robot_env(cfg.robot)
    agent = instantiate(cfg.agent, env=env)
    shapes = {m: space.shape for m, space in env.observation_space.spaces.items()}
    recorded, replayed = replay_commands(
        root / "deploy" / "session.bag", cfg.robot, agent, shapes, env.action_space.shape[0]
    )
    assert len(recorded) == deploy["commands_sent"]
    np.testing.assert_allclose(replayed, recorded, atol=1e-9)
    # a different agent does not replay to them: the comparison can fail
    other = instantiate(cfg.agent, env=env, gain=0.5)
    _, different = replay_commands(
        root / "deploy" / "session.bag", cfg.robot, other, shapes, env.action_space.shape[0]
    )
    assert not np.allclose(different, recorded)


def test_recorded_commands_replayed_in_the_simulator_reach_the_goal_again(reach_session):
    root, _, sim = reach_session
    cfg = compose_config("deploy")
    env = make_twin(cfg.robot)
    info = replay_in_simulator(root / "deploy" / "session.bag", cfg.robot, env, 1, 3)
    env.close()
    assert info["distance_to_goal"] < 0.05, (info, sim)


def test_watchdog_stops_the_arm_when_the_sim_robot_is_killed(ros_node, tmp_path):
    from sensor_msgs.msg import JointState
    from std_msgs.msg import Float64MultiArray

    states = Listener("/arm/joint_states", JointState)
    commands = Listener("/arm/joint_command", Float64MultiArray)
    sim = start_app("embodied.deploy.sim_robot", tmp_path / "sim", ["run.seed=1"])
    # no duration: SIGINT ends it, so a slow start on a loaded machine cannot end the session
    # between the kill and the stale stop
    deploy = start_app("embodied.deploy", tmp_path / "deploy", ["record=false"])
    try:
        commands.wait_for(20)  # the loop is driving the arm
        sim.send_signal(signal.SIGKILL)  # pull the cable
        sim.wait()
        commands.wait_for_silence(QUIET_S)  # the stale stop, then nothing
        deploy.send_signal(signal.SIGINT)
        metrics = finish(deploy, tmp_path / "deploy")
    finally:
        stop(deploy)
        stop(sim)
        states.close()
        commands.close()
    last_state_time, last_state = states.snapshot()[-1]
    after = [(t, msg) for t, msg in commands.snapshot() if t > last_state_time]
    # until the data is stale the loop still commands; then the stop, silence, the exit's stop
    (stop_time, stop_msg), (exit_time, exit_msg) = after[-2:]
    assert exit_time - stop_time >= QUIET_S
    # seen from this (equally loaded) process, so with a few tens of ms of scheduling noise
    assert STALE_S / 2 < stop_time - last_state_time < STALE_S + 0.1, stop_time - last_state_time
    for msg in (stop_msg, exit_msg):  # both hold the arm where it was last seen
        np.testing.assert_allclose(msg.data, last_state.position, atol=1e-6)
    assert metrics["interrupted"] is True
    reasons = [s["reason"] for s in metrics["stops"]]
    assert reasons == ["stale"], metrics["stops"]
    assert STALE_S <= metrics["stops"][0]["observation_age_s"] < STALE_S + 0.05
    assert (tmp_path / "deploy.out").read_text().count("robot lost") == 1
