"""Start and stop the processes of a local ROS setup: roscore, the rosbridge relay, hydra apps.

Used by the tests and the benchmark (everything on loopback, on free ports), and handy for
trying the bridge on a laptop without a launch file.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import xmlrpc.client
from collections.abc import Callable
from pathlib import Path
from typing import Any

STARTUP_TIMEOUT_S = 30.0


def free_port() -> int:
    """A TCP port on loopback that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(check: Callable[[], bool], what: str, process: subprocess.Popen) -> None:
    """Poll ``check`` until it holds; fail if ``process`` exits or time runs out."""
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with code {process.returncode}")
        try:
            if check():
                return
        except OSError:
            pass
        time.sleep(0.05)
    raise TimeoutError(f"{what} did not come up within {STARTUP_TIMEOUT_S} s")


def stop(process: subprocess.Popen) -> None:
    """SIGINT to the process's group (a clean stop), then SIGKILL if it does not exit."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def ros_environment(port: int, home: Path) -> dict[str, str]:
    """The environment of nodes that talk to a roscore on loopback ``port``."""
    return {"ROS_MASTER_URI": f"http://127.0.0.1:{port}", "ROS_IP": "127.0.0.1",
            "ROS_HOME": str(home), "ROS_LOG_DIR": str(home / "log")}  # fmt: skip


def start_roscore(port: int, home: Path) -> subprocess.Popen:
    """``roscore -p port`` (logs under ``home``), returned once its master answers."""
    if shutil.which("roscore") is None:
        raise RuntimeError("roscore is not installed: run `make install` (installs ros-core)")
    env = {**os.environ, **ros_environment(port, home)}
    process = subprocess.Popen(["roscore", "-p", str(port)], env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True)  # fmt: skip
    master = xmlrpc.client.ServerProxy(env["ROS_MASTER_URI"])
    wait_until(lambda: master.getPid("/launch")[0] == 1, "roscore", process)
    return process


def start_relay(port: int) -> subprocess.Popen:
    """The rosbridge relay (``embodied.deploy.rosbridge_relay``), returned once it listens."""
    cmd = [sys.executable, "-m", "embodied.deploy.rosbridge_relay", "--port", str(port)]
    process = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)  # fmt: skip

    def listening() -> bool:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True

    wait_until(listening, "rosbridge relay", process)
    return process


def start_app(
    module: str, run_dir: Path, overrides: list[str], env: dict[str, str] | None = None
) -> subprocess.Popen:
    """``python -m <module>`` (a hydra app) writing into ``run_dir``; output in ``<run_dir>.out``.

    ``env`` adds to this process's environment (e.g. ``ros_environment``); the console is 200
    columns wide, so rich keeps each log line whole in the output file.
    """
    run_dir.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", module, "run.progress=false", f"hydra.run.dir={run_dir}",
           *overrides]  # fmt: skip
    with (run_dir.parent / f"{run_dir.name}.out").open("w") as log:
        env = {**os.environ, "COLUMNS": "200", **(env or {})}
        return subprocess.Popen(
            cmd, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )


def finish(process: subprocess.Popen, run_dir: Path, timeout: float = 60.0) -> dict[str, Any]:
    """Wait for an app to exit; its metrics.json (an error with its output if it failed)."""
    try:
        code = process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        stop(process)
        raise
    if code != 0:
        output = (run_dir.parent / f"{run_dir.name}.out").read_text()
        raise RuntimeError(f"{process.args[2]} exited with code {code}:\n{output[-3000:]}")
    return json.loads((run_dir / "metrics.json").read_text())


def finish_session(
    deploy: subprocess.Popen, sim: subprocess.Popen, root: Path, timeout: float = 60.0
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Wait for the deploy app (run folder ``root/deploy``) to end, then stop the simulated
    robot (``root/sim``) cleanly with SIGINT; both apps' metrics. Both are stopped either way."""
    try:
        metrics = finish(deploy, root / "deploy", timeout)
        sim.send_signal(signal.SIGINT)  # a clean stop: it writes its metrics
        return metrics, finish(sim, root / "sim")
    finally:
        stop(deploy)
        stop(sim)
