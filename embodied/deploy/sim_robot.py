"""``python -m embodied.deploy.sim_robot scene=<id> robot=<profile>``: a simulated robot on ROS.

Steps the scene in real time at its control rate, publishes the profile's observation topics
after every step and applies the newest valid command (malformed ones are rejected and
counted). Swapping in a real robot means pointing the deploy bridge at the real robot's topics.
On SIGINT/SIGTERM or after ``duration_s`` it writes metrics.json (the task's measures).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from typing import Any

import numpy as np
from omegaconf import DictConfig

import embodied.config  # noqa: F401  (registers the schemas)
from embodied.deploy.app import make_twin, stop_on_signals
from embodied.deploy.bridges import open_transport
from embodied.deploy.messages import (
    CommandCodec,
    Message,
    MessageRejected,
    encode_observation,
    log_rejection,
)
from runkit import hydra_entry_point, start_run

log = logging.getLogger(__name__)


class CommandInbox:
    """The newest valid command; rejected ones are counted and dropped."""

    def __init__(self, codec: CommandCodec, initial: np.ndarray) -> None:
        self.codec, self.action = codec, initial
        self.received = 0
        self.rejected: Counter[str] = Counter()
        self._lock = threading.Lock()

    def receive(self, msg: Message, received: float) -> None:
        try:
            action = self.codec.decode(msg)
        except Exception as error:  # MessageRejected, or a decoder bug: never a crash
            reason = error.reason if isinstance(error, MessageRejected) else "decoder_error"
            with self._lock:
                self.rejected[reason] += 1
                count = self.rejected[reason]
            log_rejection("command", reason, count, error)
            return
        with self._lock:
            self.action, self.received = action, self.received + 1

    def current(self) -> np.ndarray:
        with self._lock:
            return self.action


def run(cfg: DictConfig, halt: threading.Event | None = None) -> dict[str, Any]:
    """Serve ``cfg.scene`` as a robot until ``duration_s`` or a signal; returns the metrics."""
    ctx = start_run(cfg)
    robot = cfg.robot
    env = make_twin(robot, cfg.scene)
    observation, info = env.reset(seed=ctx.seed)
    unknown = sorted(set(robot.observations) - set(observation))
    if unknown:
        raise ValueError(f"scene {cfg.scene!r} observes no {unknown}; it has {sorted(observation)}")
    size = env.action_space.shape[0]
    codec = CommandCodec(robot.command.type, size, robot.command.twist_axes)
    hold = robot.command.stop == "hold"
    start_action = observation[robot.command.hold_from][:size] if hold else np.zeros(size)
    commands = CommandInbox(codec, np.asarray(start_action, np.float64))
    transport = open_transport(cfg.bridge, cfg.node_name, cfg.rosbridge)
    publishers = {
        m: transport.publisher(spec.topic, spec.type) for m, spec in robot.observations.items()
    }
    transport.subscribe(robot.command.topic, robot.command.type, commands.receive)
    dt = float(env.unwrapped.control_dt)
    halt = halt or threading.Event()
    steps, first_success = 0, None
    log.info("%s serves %s at %.0f Hz over %s", cfg.node_name, cfg.scene, 1 / dt, cfg.bridge)
    start = next_step = time.monotonic()
    try:
        with stop_on_signals(halt):
            while not halt.is_set():
                now = time.time()
                for modality, publish in publishers.items():
                    spec = robot.observations[modality]
                    publish(encode_observation(spec.type, observation[modality], now,
                                               joints=spec.joints, fields=spec.fields))  # fmt: skip
                if cfg.duration_s is not None and time.monotonic() - start >= cfg.duration_s:
                    break
                next_step += dt
                if halt.wait(max(0.0, next_step - time.monotonic())):
                    break
                observation, _, success, _, info = env.step(commands.current())
                steps += 1
                if success and first_success is None:
                    first_success = time.monotonic() - start
                    log.info("task success after %.2f s", first_success)
    finally:
        transport.close()
        env.close()
    metrics = {
        "scene": cfg.scene,
        "steps": steps,
        "elapsed_s": time.monotonic() - start,
        "commands_received": commands.received,
        "commands_rejected": dict(commands.rejected),
        "last_command": commands.current().tolist(),
        "first_success_s": first_success,
        **{k: (bool(v) if isinstance(v, (bool, np.bool_)) else v) for k, v in info.items()},
    }
    ctx.write_metrics(metrics)
    return metrics


@hydra_entry_point("sim_robot")
def main(cfg: DictConfig) -> None:
    run(cfg)


if __name__ == "__main__":
    main()
