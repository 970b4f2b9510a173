"""Structured-config schemas of ``python -m embodied.deploy`` and ``embodied.deploy.sim_robot``.

A robot profile (``configs/robot/``) names the robot's topics, message types, rate and limits;
swapping a simulated robot for a real one means choosing another profile (or overriding topics).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hydra.core.config_store import ConfigStore
from omegaconf import MISSING

from runkit.config import RunConfig

BRIDGES = ("ros1", "rosbridge")


@dataclass
class ObservationTopicConfig:
    """One observation modality read from one topic.

    type: sensor_msgs/JointState (``fields`` of ``joints``, in that order, concatenated),
    geometry_msgs/Vector3Stamped, nav_msgs/Odometry (x, y, yaw, vx, vy, wz) or sensor_msgs/Image
    (rgb8). low/high: per-entry bounds; a message outside them is rejected (never forwarded).
    """

    topic: str = MISSING
    type: str = MISSING
    joints: list[str] = field(default_factory=list)
    fields: list[str] = field(default_factory=lambda: ["position", "velocity"])
    low: list[float] | None = None
    high: list[float] | None = None


@dataclass
class CommandTopicConfig:
    """Where the agent's actions go, and the limits every command is clamped to.

    type: std_msgs/Float64MultiArray (joint commands) or geometry_msgs/Twist (``twist_axes``
    name the Twist fields the action entries fill). stop: "zero" (all zeros, e.g. velocities)
    or "hold" (the first entries of observation ``hold_from``, e.g. the current joint positions).
    """

    topic: str = MISSING
    type: str = MISSING
    low: list[float] = MISSING
    high: list[float] = MISSING
    twist_axes: list[str] = field(default_factory=lambda: ["linear.x", "linear.y", "angular.z"])
    stop: str = "zero"
    hold_from: str = "proprio"


@dataclass
class RobotConfig:
    """A robot profile: topics, message types, control rate and safety limits.

    env: the simulator environment (``embodied.list_envs()``) whose observation and action spaces
    the robot matches; agents are built against these spaces. stale_after_s: the watchdog stops
    the robot when an observation is older than this; overrun_periods: or when the agent takes
    longer than this many control periods for one action. estop_topic (std_msgs/Bool): true
    stops the robot and latches; after false, commands resume only once a std_msgs/Empty
    arrives on rearm_topic.
    """

    name: str = MISSING
    env: str = MISSING
    env_options: dict[str, Any] = field(default_factory=dict)
    observations: dict[str, ObservationTopicConfig] = field(default_factory=dict)
    command: CommandTopicConfig = field(default_factory=CommandTopicConfig)
    estop_topic: str = "/estop"
    rearm_topic: str = "/rearm"
    rate_hz: float = 50.0
    stale_after_s: float = 0.2
    overrun_periods: float = 1.0


@dataclass
class RosbridgeConfig:
    """Where rosbridge_server (or any rosbridge v2 websocket server) listens."""

    host: str = "127.0.0.1"
    port: int = 9090


@dataclass
class DeployConfig:
    """``python -m embodied.deploy``: an agent in a fixed-rate control loop against a robot.

    checkpoint: a world-model checkpoint for ``agent=wm_mpc`` (it then plans without learning).
    duration_s: stop after this long (null: run until SIGINT). record: write the session as a
    ROS 1 bag (session.bag) in the run folder. dry_run: log commands, send none.
    torch_threads: torch's intra-op threads for the agent; one keeps a small model's latency
    low and steady beside the transport's threads.
    """

    run: RunConfig = field(default_factory=RunConfig)
    robot: RobotConfig = MISSING
    agent: Any = MISSING
    checkpoint: str | None = None
    bridge: str = "ros1"
    rosbridge: RosbridgeConfig = field(default_factory=RosbridgeConfig)
    node_name: str = "embodied_deploy"
    duration_s: float | None = None
    dry_run: bool = False
    record: bool = True
    torch_threads: int = 1


@dataclass
class SimRobotConfig:
    """``python -m embodied.deploy.sim_robot``: a simulator scene as a robot on ROS.

    It publishes the profile's observation topics at the env's control rate and applies the
    latest command each step (the servos hold the last one). duration_s: stop after this long
    (null: until SIGINT/SIGTERM); metrics.json then reports the task's measures.
    """

    run: RunConfig = field(default_factory=RunConfig)
    robot: RobotConfig = MISSING
    scene: str = MISSING
    bridge: str = "ros1"
    rosbridge: RosbridgeConfig = field(default_factory=RosbridgeConfig)
    node_name: str = "sim_robot"
    duration_s: float | None = None


@dataclass
class KinematicReachAgentConfig:
    """Resolved-rate inverse kinematics on the arm's own model (a classical baseline).

    max_step: the most any joint target moves per action (radians).
    """

    _target_: str = "embodied.deploy.kinematic_agent.KinematicReachAgent"
    scene: str = "reach"
    gain: float = 1.0
    damping: float = 0.05
    max_step: float = 0.3


def register_configs() -> None:
    """Store the schemas under the names the YAML files' defaults lists use."""
    cs = ConfigStore.instance()
    cs.store(name="deploy_schema", node=DeployConfig)
    cs.store(name="sim_robot_schema", node=SimRobotConfig)
    cs.store(group="robot", name="robot_schema", node=RobotConfig)
    cs.store(group="agent", name="kinematic_reach_schema", node=KinematicReachAgentConfig)


register_configs()
