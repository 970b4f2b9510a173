"""The control loop in one process (an in-memory transport): every ending sends the stop last."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from embodied.deploy.loop import ControlLoop
from embodied.deploy.messages import encode_observation
from tests.embodied.deploy.faulty_agent import FaultyAgent
from tests.embodied.deploy.nodes import LoopbackTransport
from tests.hydra_compose import compose_config

SHAPES = {"proprio": (6,), "goal": (3,)}
POSITION = [0.1, 0.2, 0.3]
TARGET = [0.5, 0.5, 0.5]


class FlakyPublish:
    """Wraps a transport's publish; raises ConnectionResetError on call ``fail_on``."""

    def __init__(self, publish, fail_on: int) -> None:
        self.publish, self.fail_on, self.calls = publish, fail_on, 0

    def __call__(self, msg) -> None:
        self.calls += 1
        if self.calls == self.fail_on:
            raise ConnectionResetError("the robot's socket went away")
        self.publish(msg)


def run_session(agent, transport: LoopbackTransport, flaky_on: int | None = None) -> dict:
    robot = compose_config("deploy").robot
    loop = ControlLoop(agent, robot, SHAPES, 3, transport)
    if flaky_on is not None:
        loop._publish = FlakyPublish(loop._publish, flaky_on)
    halt = threading.Event()
    state = encode_observation("sensor_msgs/JointState", np.array([*POSITION, 0, 0, 0]), 0.0,
                               joints=["arm_yaw", "arm_shoulder", "arm_elbow"],
                               fields=["position", "velocity"])  # fmt: skip
    goal = encode_observation("geometry_msgs/Vector3Stamped", np.array([0.0, 0.0, 0.1]), 0.0)

    def robot_publishes() -> None:
        while not halt.wait(0.01):
            transport.inject(robot.observations.proprio.topic, state)
            transport.inject(robot.observations.goal.topic, goal)

    feeder = threading.Thread(target=robot_publishes, daemon=True)
    feeder.start()
    try:
        return loop.run(10.0, halt)
    finally:
        halt.set()
        feeder.join()


@pytest.mark.parametrize("fault", ["nan", "raise"])
def test_an_agent_fault_ends_the_session_with_the_stop_as_the_last_command(fault):
    transport = LoopbackTransport()
    metrics = run_session(FaultyAgent(None, TARGET, fail_at=10, fault=fault), transport)
    sent = [msg["data"] for msg in transport.published["/arm/joint_command"]]
    assert sent[:9] == [TARGET] * 9 and len(sent) == 10
    np.testing.assert_allclose(sent[-1], POSITION)  # the stop: hold where the arm is
    assert metrics["error"].startswith("ValueError: the agent returned a non-finite" if fault ==
                                       "nan" else "RuntimeError: the agent crashed")  # fmt: skip
    assert metrics["elapsed_s"] < 5.0


def test_a_failing_publish_ends_the_session_with_the_stop_sent():
    transport = LoopbackTransport()
    agent = FaultyAgent(None, TARGET, fail_at=1000, fault="raise")
    metrics = run_session(agent, transport, flaky_on=5)
    sent = [msg["data"] for msg in transport.published["/arm/joint_command"]]
    assert sent[:4] == [TARGET] * 4 and len(sent) == 5
    np.testing.assert_allclose(sent[-1], POSITION)
    assert "ConnectionResetError" in metrics["error"]
