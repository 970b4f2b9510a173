"""ROS control loop: latency, jitter and sustained message rate of both deploy transports.

For each bridge (ROS 1 through a real roscore; rosbridge through the loopback rosbridge relay)
it runs the simulated reach arm (``embodied.deploy.sim_robot``) publishing at the loop's rate
and ``python -m embodied.deploy`` (the kinematic reach agent, bag recording on) at 50 Hz and
200 Hz, then at an unreachable 2000 Hz to see the command rate the bridge sustains. Latency is
the time from a fresh observation's arrival to the command published from it (it includes the
wait for the next tick, up to one period); tick_to_command is the loop's own share (agent,
clamp, encode, publish); jitter is the spread of tick start times around the schedule. Prints
one JSON object.
Usage: python benchmarks/ros_control_loop.py [--seconds S]
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path
from typing import Any

import torch
from machine import machine_info

from embodied.deploy.launch import (
    finish_session,
    free_port,
    ros_environment,
    start_app,
    start_relay,
    start_roscore,
    stop,
)

SIM_TIMESTEP_S = 0.005  # the reach scene's physics step: the sim robot runs at 200 Hz at most


def session(root: Path, bridge: list[str], env: dict[str, str], rate: float, seconds: float):
    """One sim robot + deploy session; the deploy and sim metrics."""
    frame_skip = max(1, round(1.0 / (SIM_TIMESTEP_S * min(rate, 200.0))))
    robot = [f"+robot.env_options.frame_skip={frame_skip}"]
    sim_args = [*bridge, *robot, "run.seed=1"]  # a goal the kinematic agent reaches
    sim = start_app("embodied.deploy.sim_robot", root / "sim", sim_args, env)
    deploy = start_app(
        "embodied.deploy",
        root / "deploy",
        [*bridge, *robot, f"robot.rate_hz={rate}", f"duration_s={seconds}"],
        env,
    )
    return finish_session(deploy, sim, root, timeout=seconds + 120)


def summary(deploy: dict[str, Any], sim: dict[str, Any]) -> dict[str, Any]:
    elapsed = deploy["elapsed_s"]
    observations = sum(deploy["observations_received"].values())
    return {
        "latency_ms": deploy["latency_ms"],
        "tick_lateness_ms": deploy["tick_lateness_ms"],
        "tick_to_command_ms": deploy["tick_to_command_ms"],
        "commands_per_s": round(deploy["commands_per_s"], 1),
        "observation_msgs_per_s": round(observations / elapsed, 1),
        "messages_per_s": round(deploy["commands_per_s"] + observations / elapsed, 1),
        "missed_ticks": deploy["missed_ticks"],
        "watchdog_stops": [s["reason"] for s in deploy["stops"]],
        "sim_commands_received": sim["commands_received"],
        "reached_goal": sim["first_success_s"] is not None,
    }


def run_bridge(name: str, root: Path, rates: list[float], seconds: float) -> dict[str, Any]:
    home = root / "ros_home"
    home.mkdir(parents=True)
    port = free_port()
    if name == "ros1":
        env, server = ros_environment(port, home), start_roscore(port, home)
        bridge = ["bridge=ros1"]
    else:
        env, server = {}, start_relay(port)
        bridge = ["bridge=rosbridge", f"rosbridge.port={port}"]
    try:
        return {
            f"{rate:g}_hz": summary(*session(root / f"{rate:g}", bridge, env, rate, seconds))
            for rate in rates
        }
    finally:
        stop(server)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rates", type=float, nargs="+", default=[50.0, 200.0, 2000.0])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        results = {
            bridge: run_bridge(bridge, Path(tmp) / bridge, args.rates, args.seconds)
            for bridge in ("ros1", "rosbridge")
        }
    print(
        json.dumps(
            {
                "benchmark": "ros_control_loop",
                "machine": machine_info(torch.device("cpu")),
                "seconds_per_session": args.seconds,
                "agent": "kinematic_reach",
                **results,
            }
        )
    )


if __name__ == "__main__":
    main()
