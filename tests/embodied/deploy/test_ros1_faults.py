"""Through a real roscore: a crashing agent stops the arm; the e-stop latches until re-armed."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import numpy as np
import pytest

from embodied.deploy.launch import finish, start_app, stop
from tests.embodied.deploy.nodes import Listener

TARGET = [0.5, 0.5, 0.5]
FAIL_AT = 60  # 1.2 s of commands at 50 Hz before the fault
STOP_WITHIN_S = 0.2


def faulty_agent_overrides(root: Path, fault: str) -> list[str]:
    """Overrides that select ``FaultyAgent`` from a config dir of its own (hydra's searchpath)."""
    (root / "agent").mkdir(parents=True, exist_ok=True)
    (root / "agent" / "faulty.yaml").write_text(
        "_target_: tests.embodied.deploy.faulty_agent.FaultyAgent\n"
        f"target: {TARGET}\nfail_at: {FAIL_AT}\nfault: {fault}\n"
    )
    return [f"hydra.searchpath=[file://{root}]", "agent=faulty", "record=false"]


@pytest.mark.parametrize("fault", ["nan", "raise"])
def test_a_crashing_agent_leaves_the_stop_as_the_last_command(ros_node, tmp_path, fault):
    from sensor_msgs.msg import JointState
    from std_msgs.msg import Float64MultiArray

    commands = Listener("/arm/joint_command", Float64MultiArray)
    states = Listener("/arm/joint_states", JointState)
    sim = start_app("embodied.deploy.sim_robot", tmp_path / "sim", ["run.seed=1"])
    deploy = start_app(
        "embodied.deploy", tmp_path / "deploy", faulty_agent_overrides(tmp_path / "conf", fault)
    )
    try:
        code = deploy.wait(timeout=120)  # it ends by itself: the agent fails
        time.sleep(0.3)  # anything still on its way arrives
        sim.send_signal(signal.SIGINT)
        sim_metrics = finish(sim, tmp_path / "sim")
    finally:
        stop(deploy)
        stop(sim)
        commands.close()
        states.close()
    output = (tmp_path / "deploy.out").read_text()
    assert code != 0, output[-2000:]  # the process says it failed
    seen = commands.snapshot()
    driving = [t for t, msg in seen if np.allclose(msg.data, TARGET)]
    assert driving, f"the agent never drove the arm: {output[-2000:]}"
    (stop_time, stop_msg) = seen[-1]
    assert not np.allclose(stop_msg.data, TARGET), "no stop after the crash"
    assert stop_time - driving[-1] < STOP_WITHIN_S, stop_time - driving[-1]
    # it is the stop: it holds the arm at a position the arm reported just before
    positions = [msg.position for t, msg in states.snapshot() if t <= stop_time][-5:]
    assert any(np.allclose(stop_msg.data, p, atol=1e-6) for p in positions), stop_msg.data
    # the simulated arm holds where it was: its last command is that stop
    np.testing.assert_allclose(sim_metrics["last_command"], stop_msg.data, atol=1e-9)
    metrics = (tmp_path / "deploy" / "metrics.json").read_text()
    assert ("non-finite" if fault == "nan" else "crashed at step") in metrics
    assert "robot was stopped" in output
