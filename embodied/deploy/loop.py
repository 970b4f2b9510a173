"""The fixed-rate control loop: newest valid observations → agent → clamp → command.

Observations arrive on transport threads into an ``ObservationInbox`` (which rejects and counts
bad messages); each tick the loop hands the newest complete observation to the agent and sends
the clamped command, unless the watchdog holds the robot. Whatever ends the loop (the duration,
a signal, an exception in the agent, the transport or the loop) it sends the stop command last.
Timing statistics and the rate commands were actually sent at go into metrics.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from embodied.deploy.config import RobotConfig
from embodied.deploy.inbox import Latest, ObservationInbox
from embodied.deploy.messages import (
    CommandCodec,
    Message,
    MessageRejected,
    decode_bool,
    decode_empty,
    observation_decoder,
)
from embodied.deploy.recording import BagRecorder
from embodied.deploy.safety import CommandLimits, Watchdog
from embodied.deploy.transport import Callback, Publish, Transport

log = logging.getLogger(__name__)
ESTOP_TYPE = "std_msgs/Bool"
REARM_TYPE = "std_msgs/Empty"
RATE_REPORT_AFTER_S = 2.0  # log the rate commands are sent at once they have flowed this long


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


@dataclass
class LoopStats:
    """What the loop measures while it ticks (seconds, ``time.monotonic``)."""

    ticks: int = 0
    missed: int = 0
    lateness: list[float] = field(default_factory=list)
    latency: list[float] = field(default_factory=list)
    compute: list[float] = field(default_factory=list)
    recorded: dict[str, int] = field(default_factory=dict)
    sent: int = 0
    first_sent: float = 0.0
    last_sent: float = 0.0
    rate_reported: bool = False

    def command_sent(self, at: float, configured_hz: float) -> None:
        """Note a command sent ``at``; log the rate once commands have flowed a while."""
        if self.sent == 0:
            self.first_sent = at
        self.sent, self.last_sent = self.sent + 1, at
        if not self.rate_reported and at - self.first_sent >= RATE_REPORT_AFTER_S:
            self.rate_reported = True
            rate = self.sent_rate_hz() or 0.0
            level = logging.WARNING if rate < 0.9 * configured_hz else logging.INFO
            log.log(
                level, "sending commands at %.1f Hz (configured robot.rate_hz=%g)",
                rate, configured_hz,
            )  # fmt: skip

    def sent_rate_hz(self) -> float | None:
        """Commands per second from the first command to the last one (None below two)."""
        if self.sent < 2 or self.last_sent <= self.first_sent:
            return None
        return (self.sent - 1) / (self.last_sent - self.first_sent)


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
        self._estop_engaged: bool | None = None
        self.rearms = 0
        self.error: str | None = None
        self.start = time.monotonic()
        self.stats = LoopStats()
        for modality, (topic, _) in self.inbox.decoders.items():
            msg_type = robot.observations[modality].type
            transport.subscribe(topic, msg_type, self._receiver(modality))
        transport.subscribe(robot.estop_topic, ESTOP_TYPE, self._on_estop)
        transport.subscribe(robot.rearm_topic, REARM_TYPE, self._on_rearm)

    # ----- transport callbacks -----------------------------------------------------------------
    def _receiver(self, modality: str) -> Callback:
        return lambda msg, received: self.inbox.receive(modality, msg, received)

    def _on_estop(self, msg: Message, received: float) -> None:
        try:
            engaged = decode_bool(msg)
        except MessageRejected as error:
            self.inbox.reject(self.robot.estop_topic, error)
            return
        self.watchdog.set_estop(engaged)
        if (
            engaged == self._estop_engaged
        ):  # an e-stop node may repeat its state many times a second
            return
        self._estop_engaged = engaged
        if engaged:
            log.warning("e-stop engaged on %s: robot stopped", self.robot.estop_topic)
        elif self.watchdog.latched:
            log.warning(
                "e-stop released: the robot stays stopped until re-armed (std_msgs/Empty on %s)",
                self.robot.rearm_topic,
            )

    def _on_rearm(self, msg: Message, received: float) -> None:
        try:
            decode_empty(msg)
        except MessageRejected as error:
            self.inbox.reject(self.robot.rearm_topic, error)
            return
        if not self.watchdog.latched:
            log.info("re-arm on %s: nothing to re-arm", self.robot.rearm_topic)
        elif self.watchdog.rearm():
            self.rearms += 1
            log.warning("re-armed on %s: commands resume", self.robot.rearm_topic)
        else:
            log.warning("re-arm refused: the e-stop on %s is still engaged", self.robot.estop_topic)

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

    def _final_stop(self, reason: str) -> None:
        """The stop that ends every session; a failure to send it is logged, never raised."""
        try:
            self.send_stop(reason)
        except Exception:
            log.exception("sending the final stop (%s) failed", reason)

    # ----- the loop ------------------------------------------------------------------------------
    def run(self, duration_s: float | None, halt: threading.Event) -> dict[str, Any]:
        """Tick until ``duration_s`` passed or ``halt`` is set; returns the session's metrics.

        An exception in the agent, the transport or the loop ends the session: the stop command
        goes out, the error is logged and named in the metrics (``error``); the caller decides
        how to exit. Every ending sends the stop command last.
        """
        self.agent.reset()
        self.watchdog.start()
        self.start = time.monotonic()
        self.stats = LoopStats()
        reason = "shutdown"
        try:
            self._tick_until(duration_s, halt)
        except Exception as error:
            reason = "error"
            self.error = f"{type(error).__name__}: {error}"
            log.exception("the control loop failed: stopping the robot")
        finally:  # also on KeyboardInterrupt or SystemExit, which then go on up
            self._final_stop(reason)
            self.watchdog.close()
        return self.metrics()

    def _tick_until(self, duration_s: float | None, halt: threading.Event) -> None:
        stats = self.stats
        next_tick = self.start
        end = None if duration_s is None else self.start + duration_s
        last_used = 0
        waiting_logged = False
        while not halt.is_set() and (end is None or time.monotonic() < end):
            if halt.wait(max(0.0, next_tick - time.monotonic())):
                break
            tick = time.monotonic()
            stats.lateness.append(tick - next_tick)
            stats.ticks += 1
            next_tick += self.period
            behind = int((time.monotonic() - next_tick) // self.period) + 1
            if behind > 0:  # the loop fell a whole period behind: skip those ticks
                stats.missed += behind
                next_tick += behind * self.period
            snap = self.inbox.snapshot()
            if snap is None and not waiting_logged and tick - self.start > 1.0:
                waiting_logged = True
                log.warning("waiting for observations on %s", ", ".join(self._missing_topics()))
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
                    self._record(snap, msg, stats.recorded)
            stats.command_sent(sent, self.robot.rate_hz)
            newest = max(snap.values(), key=lambda item: item.seq)
            stats.compute.append(sent - tick)
            if newest.seq > last_used:  # a fresh observation: its latency to the command
                stats.latency.append(sent - newest.received)
                last_used = newest.seq

    def _missing_topics(self) -> list[str]:
        return [
            topic for m, (topic, _) in self.inbox.decoders.items() if m not in self.inbox.latest
        ]

    def metrics(self) -> dict[str, Any]:
        """The session's metrics so far (see docs/deploy.md)."""
        stats = self.stats
        elapsed = time.monotonic() - self.start
        return {
            "robot": self.robot.name,
            "rate_hz": self.robot.rate_hz,
            "sent_rate_hz": stats.sent_rate_hz(),
            "dry_run": self.dry_run,
            "error": self.error,
            "elapsed_s": elapsed,
            "ticks": stats.ticks,
            "missed_ticks": stats.missed,
            "commands_sent": 0 if self.dry_run else self.sent,
            "commands_logged": self.sent if self.dry_run else 0,
            "commands_per_s": self.sent / elapsed if elapsed > 0 else 0.0,
            "commands_clamped": self.limits.clamped,
            "observations_received": dict(self.inbox.received),
            "rejected": self.inbox.rejected_by_topic(),
            "rejected_total": sum(self.inbox.rejected.values()),
            "stops": [
                {"t_s": e.time - self.start, "reason": e.reason, "observation_age_s": e.age_s}
                for e in self.watchdog.events
            ],
            "rearms": self.rearms,
            "latency_ms": _summary_ms(stats.latency),
            "tick_lateness_ms": _summary_ms(stats.lateness),
            "tick_to_command_ms": _summary_ms(stats.compute),
        }

    def _record(self, snap: dict[str, Latest], msg: Message, recorded: dict[str, int]) -> None:
        stamp = time.time_ns()
        for modality, item in snap.items():
            if recorded.get(modality) != item.seq:
                recorded[modality] = item.seq
                self.recorder.write(self.inbox.decoders[modality][0], item.msg, stamp)
        self.recorder.write(self.robot.command.topic, msg, stamp)
