"""The fixed-rate control loop: newest valid observations → agent → clamp → command.

Observations arrive on transport threads into an ``ObservationInbox`` (which rejects and counts
bad messages); each tick the loop hands the newest complete observation to the agent and sends
the clamped command, unless the watchdog holds the robot. Timing statistics go into metrics.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np

from embodied.deploy.config import RobotConfig
from embodied.deploy.messages import (
    CommandCodec,
    Message,
    MessageRejected,
    ObservationDecoder,
    decode_bool,
    observation_decoder,
)
from embodied.deploy.recording import BagRecorder
from embodied.deploy.safety import CommandLimits, Watchdog
from embodied.deploy.transport import Callback, Publish, Transport

log = logging.getLogger(__name__)
ESTOP_TYPE = "std_msgs/Bool"


@dataclass(frozen=True)
class Latest:
    """The newest accepted message of one modality."""

    value: np.ndarray
    msg: Message
    received: float
    seq: int


class ObservationInbox:
    """Newest accepted observation per modality; rejected messages are counted, then dropped."""

    def __init__(self, decoders: dict[str, tuple[str, ObservationDecoder]]) -> None:
        self.decoders = decoders
        self.latest: dict[str, Latest] = {}
        self.received: Counter[str] = Counter()
        self.rejected: Counter[tuple[str, str]] = Counter()
        self._lock = threading.Lock()
        self._seq = 0

    def receive(self, modality: str, msg: Message, received: float) -> None:
        topic, decode = self.decoders[modality]
        try:
            value = decode(msg)
        except MessageRejected as error:
            self.reject(topic, error)
            return
        with self._lock:
            self._seq += 1
            self.received[topic] += 1
            self.latest[modality] = Latest(value, msg, received, self._seq)

    def reject(self, topic: str, error: MessageRejected) -> None:
        with self._lock:
            self.rejected[topic, error.reason] += 1
        log.warning("rejected a message on %s: %s", topic, error)

    def snapshot(self) -> dict[str, Latest] | None:
        """Every modality's newest message, or None while one has not arrived yet."""
        with self._lock:
            if len(self.latest) < len(self.decoders):
                return None
            return dict(self.latest)

    def oldest_arrival(self) -> float | None:
        """Arrival time of the stalest of the newest messages (None before all arrived)."""
        snap = self.snapshot()
        return None if snap is None else min(item.received for item in snap.values())

    def rejected_by_topic(self) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        for (topic, reason), count in sorted(self.rejected.items()):
            out.setdefault(topic, {})[reason] = count
        return out


def _summary_ms(values: list[float]) -> dict[str, float] | None:
    if not values:
        return None
    ms = np.asarray(values) * 1e3
    return {
        "mean": float(ms.mean()),
        "std": float(ms.std()),
        "p50": float(np.percentile(ms, 50)),
        "p99": float(np.percentile(ms, 99)),
        "max": float(ms.max()),
    }


class ControlLoop:
    """Runs ``agent`` against ``robot`` through ``transport`` at ``robot.rate_hz``."""

    def __init__(
        self,
        agent: Any,
        robot: RobotConfig,
        observation_shapes: dict[str, tuple[int, ...]],
        action_size: int,
        transport: Transport,
        dry_run: bool = False,
        recorder: BagRecorder | None = None,
    ) -> None:
        if robot.rate_hz <= 0:
            raise ValueError(f"robot.rate_hz must be positive, got {robot.rate_hz}")
        missing = sorted(set(observation_shapes) - set(robot.observations))
        if missing:
            raise ValueError(
                f"the agent observes {missing}, which robot {robot.name!r} has no topic for; "
                f"it has {sorted(robot.observations)}"
            )
        if robot.command.stop not in ("zero", "hold"):
            raise ValueError(f"robot.command.stop={robot.command.stop!r}; valid: zero, hold")
        if robot.command.stop == "hold" and robot.command.hold_from not in observation_shapes:
            raise ValueError(
                f"robot.command.hold_from={robot.command.hold_from!r} is not observed; "
                f"valid: {sorted(observation_shapes)}"
            )
        self.agent, self.robot, self.recorder = agent, robot, recorder
        self.period = 1.0 / robot.rate_hz
        self.inbox = ObservationInbox(
            {
                modality: (
                    robot.observations[modality].topic,
                    observation_decoder(robot.observations[modality], shape),
                )
                for modality, shape in observation_shapes.items()
            }
        )
        command = robot.command
        self.codec = CommandCodec(command.type, action_size, command.twist_axes)
        self.limits = CommandLimits(command.low, command.high)
        if self.limits.low.shape != (action_size,):
            raise ValueError(
                f"robot.command limits have {self.limits.low.size} entries; the agent acts in "
                f"{action_size} dimensions"
            )
        self.dry_run = dry_run
        self.sent = 0
        self._send_lock = threading.RLock()
        self._publish: Publish = self._log_command if dry_run else transport.publisher(
            command.topic, command.type
        )  # fmt: skip
        self.watchdog = Watchdog(
            stale_after_s=robot.stale_after_s,
            overrun_s=robot.overrun_periods * self.period,
            last_observation=self.inbox.oldest_arrival,
            stop=self.send_stop,
            poll_s=min(0.01, robot.stale_after_s / 10, self.period),
        )
        for modality, (topic, _) in self.inbox.decoders.items():
            msg_type = robot.observations[modality].type
            transport.subscribe(topic, msg_type, self._receiver(modality))
        transport.subscribe(robot.estop_topic, ESTOP_TYPE, self._on_estop)

    # ----- transport callbacks -----------------------------------------------------------------
    def _receiver(self, modality: str) -> Callback:
        return lambda msg, received: self.inbox.receive(modality, msg, received)

    def _on_estop(self, msg: Message, received: float) -> None:
        try:
            engaged = decode_bool(msg)
        except MessageRejected as error:
            self.inbox.reject(self.robot.estop_topic, error)
            return
        log.warning("e-stop %s", "engaged" if engaged else "released")
        self.watchdog.set_estop(engaged)

    # ----- sending -------------------------------------------------------------------------------
    def _log_command(self, msg: Message) -> None:
        log.info("dry run: %s %s", self.robot.command.topic, msg)

    def stop_action(self) -> np.ndarray | None:
        """The stop command: zeros, or the current positions (None before any observation)."""
        size = self.codec.size
        if self.robot.command.stop == "zero":
            return self.limits(np.zeros(size))
        latest = self.inbox.latest.get(self.robot.command.hold_from)
        return None if latest is None else self.limits(latest.value.reshape(-1)[:size])

    def send_stop(self, reason: str) -> None:
        """Send (or, in a dry run, log) the stop command and record it after a stop event."""
        action = self.stop_action()
        if action is None:
            log.warning("no observation of %r yet: no stop to send", self.robot.command.hold_from)
            return
        with self._send_lock:
            msg = self.codec.encode(action)
            self._publish(msg)
            if self.recorder is not None:
                stamp = time.time_ns()
                self.recorder.event({"event": "stop", "reason": reason}, stamp)
                self.recorder.write(self.robot.command.topic, msg, stamp)

    # ----- the loop ------------------------------------------------------------------------------
    def run(self, duration_s: float | None, halt: threading.Event) -> dict[str, Any]:
        """Tick until ``duration_s`` passed or ``halt`` is set; returns the session's metrics."""
        self.agent.reset()
        self.watchdog.start()
        start = next_tick = time.monotonic()
        end = None if duration_s is None else start + duration_s
        lateness: list[float] = []
        latency: list[float] = []
        compute: list[float] = []
        recorded: dict[str, int] = {}
        last_used = 0
        ticks = missed = 0
        try:
            while not halt.is_set() and (end is None or time.monotonic() < end):
                if halt.wait(max(0.0, next_tick - time.monotonic())):
                    break
                tick = time.monotonic()
                lateness.append(tick - next_tick)
                ticks += 1
                next_tick += self.period
                behind = int((time.monotonic() - next_tick) // self.period) + 1
                if behind > 0:  # the loop fell a whole period behind: skip those ticks
                    missed += behind
                    next_tick += behind * self.period
                snap = self.inbox.snapshot()
                if snap is None or not self.watchdog.allow_commands():
                    continue
                observation = {modality: item.value for modality, item in snap.items()}
                self.watchdog.act_started()
                action = self.agent.act(observation)
                if not self.watchdog.act_finished():
                    continue
                msg = self.codec.encode(self.limits(action))
                with self._send_lock:
                    if not self.watchdog.allow_commands():
                        continue
                    self._publish(msg)
                    sent = time.monotonic()
                    self.sent += 1
                    if self.recorder is not None:
                        self._record(snap, msg, recorded)
                newest = max(snap.values(), key=lambda item: item.seq)
                compute.append(sent - tick)
                if newest.seq > last_used:  # a fresh observation: its latency to the command
                    latency.append(sent - newest.received)
                    last_used = newest.seq
        finally:
            self.watchdog.close()
        elapsed = time.monotonic() - start
        return {
            "robot": self.robot.name,
            "rate_hz": self.robot.rate_hz,
            "dry_run": self.dry_run,
            "elapsed_s": elapsed,
            "ticks": ticks,
            "missed_ticks": missed,
            "commands_sent": 0 if self.dry_run else self.sent,
            "commands_logged": self.sent if self.dry_run else 0,
            "commands_per_s": self.sent / elapsed if elapsed > 0 else 0.0,
            "commands_clamped": self.limits.clamped,
            "observations_received": dict(self.inbox.received),
            "rejected": self.inbox.rejected_by_topic(),
            "rejected_total": sum(self.inbox.rejected.values()),
            "stops": [
                {"t_s": e.time - start, "reason": e.reason, "observation_age_s": e.age_s}
                for e in self.watchdog.events
            ],
            "latency_ms": _summary_ms(latency),
            "tick_lateness_ms": _summary_ms(lateness),
            "tick_to_command_ms": _summary_ms(compute),
        }

    def _record(self, snap: dict[str, Latest], msg: Message, recorded: dict[str, int]) -> None:
        stamp = time.time_ns()
        for modality, item in snap.items():
            if recorded.get(modality) != item.seq:
                recorded[modality] = item.seq
                self.recorder.write(self.inbox.decoders[modality][0], item.msg, stamp)
        self.recorder.write(self.robot.command.topic, msg, stamp)
