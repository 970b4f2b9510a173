"""Replay a recorded session: its observations through an agent (the same commands must come
out), or its commands through the simulator (the robot's motion, offline)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np

from embodied.deploy.config import RobotConfig
from embodied.deploy.messages import CommandCodec, observation_decoder
from embodied.deploy.recording import EVENTS_TOPIC, read_bag
from embodied.deploy.safety import CommandLimits


def replay_commands(
    bag: str | Path,
    robot: RobotConfig,
    agent: Any,
    observation_shapes: dict[str, tuple[int, ...]],
    action_size: int,
) -> tuple[np.ndarray, np.ndarray]:
    """The agent commands recorded in ``bag`` and the ones ``agent`` gives on its observations.

    Watchdog stops (each announced on the events topic) are not agent commands and are skipped.
    Returns two ``[commands, action_size]`` arrays.
    """
    decoders = {
        robot.observations[m].topic: (m, observation_decoder(robot.observations[m], shape))
        for m, shape in observation_shapes.items()
    }
    codec = CommandCodec(robot.command.type, action_size, robot.command.twist_axes)
    limits = CommandLimits(robot.command.low, robot.command.high)
    agent.reset()
    latest: dict[str, np.ndarray] = {}
    recorded, replayed = [], []
    skip_next = False
    for message in read_bag(bag):
        if message.topic == EVENTS_TOPIC:
            skip_next = True
        elif message.topic in decoders:
            modality, decode = decoders[message.topic]
            latest[modality] = decode(message.data)
        elif message.topic == robot.command.topic:
            if skip_next:
                skip_next = False
                continue
            recorded.append(codec.decode(message.data))
            replayed.append(limits(agent.act(dict(latest))))
    shape = (-1, action_size)
    return np.asarray(recorded).reshape(shape), np.asarray(replayed).reshape(shape)


def replay_in_simulator(
    bag: str | Path, robot: RobotConfig, env: gym.Env, seed: int, action_size: int
) -> dict[str, Any]:
    """Drive ``env`` (reset with ``seed``) with the commands recorded in ``bag``, in time.

    Each control step of the env applies the newest command recorded by then (stops included),
    from the first command to the last; returns the env's final info (its task measures).
    """
    codec = CommandCodec(robot.command.type, action_size, robot.command.twist_axes)
    commands = [
        (m.stamp_ns * 1e-9, codec.decode(m.data))
        for m in read_bag(bag)
        if m.topic == robot.command.topic
    ]
    if not commands:
        raise ValueError(f"{bag} holds no commands on {robot.command.topic}")
    env.reset(seed=seed)
    dt = float(env.unwrapped.control_dt)
    start, end = commands[0][0], commands[-1][0]
    info: dict[str, Any] = {}
    index = 0
    for step in range(int((end - start) / dt) + 2):
        now = start + step * dt
        while index + 1 < len(commands) and commands[index + 1][0] <= now:
            index += 1
        _, _, _, _, info = env.step(commands[index][1])
    return info
