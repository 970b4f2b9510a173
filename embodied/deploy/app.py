"""``python -m embodied.deploy``: an agent drives a robot over ROS in a fixed-rate loop.

Writes config.yaml, run.log, metrics.json (latency, jitter, rejected messages, watchdog stops)
and session.bag (``record=true``) into the run folder.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import gymnasium as gym
import numpy as np
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf, open_dict

import embodied
import embodied.config
from embodied.deploy.bridges import open_transport
from embodied.deploy.config import RobotConfig
from embodied.deploy.loop import ControlLoop
from embodied.deploy.recording import BagRecorder
from runkit import start_run

log = logging.getLogger(__name__)


class RobotEnv(gym.Env):
    """The robot's observation and action spaces, and nothing to simulate.

    Agents are built against it; one that needs a simulator (mpc_sim, scripted) fails clearly.
    """

    def __init__(self, observation_space: gym.spaces.Dict, action_space: gym.spaces.Box) -> None:
        self.observation_space, self.action_space = observation_space, action_space


def make_twin(robot: RobotConfig | DictConfig, env_id: str | None = None) -> gym.Env:
    """The simulator env ``env_id`` (default ``robot.env``) with the profile's env options."""
    options = robot.env_options
    if isinstance(options, DictConfig):
        options = OmegaConf.to_container(options, resolve=True)
    return embodied.make(env_id or robot.env, **dict(options))


def robot_env(robot: RobotConfig | DictConfig) -> RobotEnv:
    """The spaces of the simulator env ``robot.env`` (the robot's twin) as a ``RobotEnv``."""
    twin = make_twin(robot)
    spaces = twin.observation_space
    twin.close()
    if not isinstance(spaces, gym.spaces.Dict):
        raise TypeError(f"robot.env {robot.env!r} has no Dict observations (modality -> Box)")
    bad = [m for m, space in spaces.spaces.items() if not isinstance(space, gym.spaces.Box)]
    if bad:
        raise ValueError(f"modalities {bad} cannot come over ROS; drop them from robot.env_options")
    return RobotEnv(spaces, twin.action_space)


def build_agent(cfg: DictConfig, env: RobotEnv) -> Any:
    """Instantiate ``cfg.agent``; ``checkpoint`` loads a world model that plans without learning."""
    agent_cfg = cfg.agent.copy()
    if cfg.checkpoint is not None:
        if "checkpoint" not in agent_cfg:
            raise ValueError(
                f"checkpoint={cfg.checkpoint} needs an agent that loads one (agent=wm_mpc); "
                f"{agent_cfg.get('_target_')} takes none"
            )
        with open_dict(agent_cfg):
            agent_cfg.checkpoint = cfg.checkpoint
            agent_cfg.learn = False  # a robot is no place for online learning
            agent_cfg.save_to = None
    return instantiate(agent_cfg, env=env)


def warm_up(agent: Any, env: RobotEnv, steps: int = 3) -> float:
    """Act a few times on zero observations before the loop starts (lazy initialisation, first
    calls into torch), so the first real step does not overrun; returns the last step's time."""
    zeros = {m: np.zeros(s.shape, s.dtype) for m, s in env.observation_space.spaces.items()}
    agent.reset()
    elapsed = 0.0
    for _ in range(steps):
        start = time.perf_counter()
        agent.act(zeros)
        elapsed = time.perf_counter() - start
    log.info("agent warmed up: %.1f ms per action", 1e3 * elapsed)
    return elapsed


@contextmanager
def stop_on_signals(halt: threading.Event) -> Iterator[None]:
    """SIGINT and SIGTERM set ``halt`` (a clean stop) instead of raising."""
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}

    def handler(signum: int, frame: Any) -> None:
        log.info("%s: stopping", signal.Signals(signum).name)
        halt.set()

    for sig in previous:
        signal.signal(sig, handler)
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def run(cfg: DictConfig, halt: threading.Event | None = None) -> dict[str, Any]:
    """Run the deploy session of ``cfg`` and return the metrics written to metrics.json."""
    import torch  # imported on use: the command line is checked without it

    ctx = start_run(cfg)
    torch.set_num_threads(cfg.torch_threads)
    robot = cfg.robot
    env = robot_env(robot)
    agent = build_agent(cfg, env)
    act_s = warm_up(agent, env)
    shapes = {m: tuple(space.shape) for m, space in env.observation_space.spaces.items()}
    transport = open_transport(cfg.bridge, cfg.node_name, cfg.rosbridge)
    recorder = None
    if cfg.record:
        observed = [robot.observations[m] for m in shapes if m in robot.observations]
        topics = {spec.topic: spec.type for spec in observed}  # (ControlLoop names a missing one)
        topics[robot.command.topic] = robot.command.type
        recorder = BagRecorder(ctx.artefact("session.bag"), topics)
    halt = halt or threading.Event()
    try:
        loop = ControlLoop(
            agent, robot, shapes, env.action_space.shape[0], transport, cfg.dry_run, recorder
        )
        log_banner(cfg, act_s)
        with stop_on_signals(halt):
            metrics = loop.run(cfg.duration_s, halt)  # it sends the stop command last
    finally:
        if recorder is not None:
            recorder.close()
        transport.close()  # delivers what is still queued: the stop
        if hasattr(agent, "close"):
            agent.close()
    metrics.update(bridge=cfg.bridge, agent=cfg.agent._target_, interrupted=halt.is_set())
    sent_rate = metrics["sent_rate_hz"]
    log.info(
        "%d commands sent at %s (configured %g Hz), %d messages rejected, %d watchdog stops",
        metrics["commands_sent"] or metrics["commands_logged"],
        "—" if sent_rate is None else f"{sent_rate:.1f} Hz", robot.rate_hz,
        metrics["rejected_total"], len(metrics["stops"]),
    )  # fmt: skip
    ctx.write_metrics(metrics)
    if metrics["error"] is not None:
        raise RuntimeError(f"the control loop failed ({metrics['error']}); the robot was stopped")
    return metrics


def log_banner(cfg: DictConfig, act_s: float) -> None:
    """What the session will do: robot, configured rate, bridge, and whether the agent keeps up."""
    robot = cfg.robot
    period_ms, act_ms = 1e3 / robot.rate_hz, 1e3 * act_s
    log.info(
        "driving %s at %g Hz configured (%.1f ms period; the agent took %.1f ms per action in "
        "warm-up) over %s%s; e-stop %s, re-arm %s",
        robot.name, robot.rate_hz, period_ms, act_ms, cfg.bridge,
        " (dry run: no command is sent)" * cfg.dry_run, robot.estop_topic, robot.rearm_topic,
    )  # fmt: skip
    if act_ms > period_ms * robot.overrun_periods:
        log.warning(
            "the agent needs %.1f ms per action, more than the %.1f ms the watchdog allows: expect "
            "overrun stops and fewer commands than %g Hz; lower robot.rate_hz",
            act_ms, period_ms * robot.overrun_periods, robot.rate_hz,
        )  # fmt: skip
