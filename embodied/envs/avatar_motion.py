"""Kinematic animation of the humanoid avatar (``scenes.humanoid``): a walk and a reach.

The walk is a gait cycle driven by the distance walked: hips swing sinusoidally (one stride of
``STRIDE`` metres per cycle), knees bend in each leg's swing phase, arms counter-swing and the
pelvis dips so the standing foot stays on the floor; its amplitude fades in and out as the
avatar starts and stops. The reach points the arm on the target's side at it: the elbow bends so the
hand lands on it when it is within reach, else the straight arm points at it. Poses are written
as joint positions each step (no torques), so the same seed gives the same motion.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from embodied.backends.base import Backend
from scenes.humanoid import (
    FOREARM,
    HEAD_CENTRE,
    NECK_Z,
    PITCH,
    SHIN,
    SHOULDER_HALF_WIDTH,
    SHOULDER_Z,
    SIDES,
    THIGH,
    UPPER_ARM,
    humanoid_joints,
)

STRIDE = 1.1  # metres walked per gait cycle (two steps)
HIP_SWING = 0.35  # radians either way
KNEE_SWING = 0.75  # extra knee bend at mid-swing
ARM_SWING = 0.3
ELBOW_BEND = 0.3  # of the swinging arms
AMPLITUDE_RATE = 0.25  # the gait's amplitude changes this much per pose when starting/stopping
TELEPORT = 0.5  # metres: a jump this long between poses is a reset, not a step
CARRY_POINT = np.array([0.3, -0.12, 1.02])  # the right hand holding an object (avatar frame)
GRIP = 0.06  # a held object's centre lies this far beyond the hand's, along the forearm
NECK_LIMITS = (-0.3, 0.6)
LEG = THIGH + SHIN


def rotation_matrix(axis: Sequence[float], angle: float) -> np.ndarray:
    """The 3×3 rotation by ``angle`` about unit ``axis`` (right-handed)."""
    x, y, z = axis
    k = np.array([[0.0, -z, y], [z, 0.0, -x], [-y, x, 0.0]])
    return np.eye(3) + np.sin(angle) * k + (1.0 - np.cos(angle)) * (k @ k)


def arm_points(side: str, pitch: float, roll: float, elbow: float) -> np.ndarray:
    """Shoulder, elbow and hand (rows) in the avatar's frame for the arm angles of ``side``."""
    sign = SIDES[side]
    shoulder = np.array([0.0, sign * SHOULDER_HALF_WIDTH, SHOULDER_Z])
    upper = rotation_matrix(PITCH, pitch) @ rotation_matrix((sign, 0.0, 0.0), roll)
    elbow_point = shoulder + upper @ np.array([0.0, 0.0, -UPPER_ARM])
    hand = elbow_point + upper @ rotation_matrix(PITCH, elbow) @ np.array([0.0, 0.0, -FOREARM])
    return np.stack([shoulder, elbow_point, hand])


def reach_angles(side: str, target: Sequence[float]) -> tuple[float, float, float]:
    """Shoulder pitch, roll and elbow putting the hand of ``side`` on ``target`` (avatar frame),
    or pointing the straight arm at it when it is out of reach."""
    sign = SIDES[side]
    offset = np.asarray(target, dtype=float) - np.array([0.0, sign * SHOULDER_HALF_WIDTH,
                                                          SHOULDER_Z])  # fmt: skip
    span = float(np.linalg.norm(offset))
    if span < 1e-6:
        return 0.0, 0.0, 0.0
    reach = np.clip(span, UPPER_ARM - FOREARM + 0.1, UPPER_ARM + FOREARM - 1e-4)
    cos_elbow = (reach**2 - UPPER_ARM**2 - FOREARM**2) / (2.0 * UPPER_ARM * FOREARM)
    elbow = float(np.arccos(np.clip(cos_elbow, -1.0, 1.0)))
    # the hand in the upper arm's frame, then the shoulder rotation turning it onto the target
    hand = np.array([0.0, 0.0, -UPPER_ARM]) + rotation_matrix(PITCH, elbow) @ [0.0, 0.0, -FOREARM]
    a, c = hand[0] / np.linalg.norm(hand), hand[2] / np.linalg.norm(hand)  # c < 0: downwards
    u = offset / span
    theta = float(np.arcsin(np.clip(u[1] / -c, -1.0, 1.0)))  # about x: y of the hand
    phi = np.arctan2(u[0], u[2]) - np.arctan2(a, c * np.cos(theta))  # about y: x and z
    pitch = float(np.remainder(-phi + np.pi, 2.0 * np.pi) - np.pi)
    return pitch, sign * theta, elbow


def gait(phase: float, amplitude: float) -> dict[str, float]:
    """Joint angles (by joint suffix) at ``phase`` radians of the gait cycle, scaled by
    ``amplitude`` in [0, 1]; left leg forward at phase π/2."""
    angles: dict[str, float] = {"neck": 0.0}
    for side, shift in (("left", 0.0), ("right", np.pi)):
        s = phase + shift
        angles[f"{side}_hip"] = amplitude * HIP_SWING * np.sin(s)
        angles[f"{side}_knee"] = amplitude * KNEE_SWING * max(0.0, np.cos(s)) ** 2
        angles[f"{side}_shoulder_pitch"] = -amplitude * ARM_SWING * np.sin(s)
        angles[f"{side}_shoulder_roll"] = 0.08
        angles[f"{side}_elbow"] = amplitude * ELBOW_BEND + 0.1
    return angles


CARRY = reach_angles("right", CARRY_POINT)  # the same angles carry on the left (mirrored)


class AvatarMotion:
    """Poses the humanoid ``name`` in ``sim``: call :meth:`pose` every control step with its floor
    position and heading (and what it reaches for); :meth:`reset` at each episode's start."""

    def __init__(self, sim: Backend, name: str = "user") -> None:
        self.sim, self.name = sim, name
        self.joints = humanoid_joints(name)
        self.suffixes = [j[len(name) + 1 :] for j in self.joints]
        ranges = {j.name: j.range for b, _ in sim.scene.walk() for j in b.joints}
        self.low, self.high = np.array([ranges[j] for j in self.joints]).T
        self.reset()

    def reset(self) -> None:
        """Forget the walk so far (call after the simulator's reset)."""
        self.distance, self.amplitude = 0.0, 0.0
        self.angles = np.zeros(len(self.joints))
        self.side = "right"  # the hand that reaches and carries
        self._last: np.ndarray | None = None
        self._stale = True  # the simulator's joints may differ from ``angles``

    @property
    def phase(self) -> float:
        return 2.0 * np.pi * self.distance / STRIDE

    def pose(
        self,
        position: Sequence[float],
        yaw: float,
        reach: Sequence[float] | None = None,
        weight: float = 1.0,
        carrying: bool = False,
    ) -> np.ndarray:
        """Place the avatar at floor ``position`` facing ``yaw``, its legs at the gait's pose for
        the distance walked so far; ``carrying``: a hand holds an object in front;
        ``reach``: a world point an arm goes to (and the head looks at), blended in by
        ``weight`` in [0, 1], with the hand on its side (the one that carries what it picks).
        Returns the joint angles written (order of ``joints``)."""
        xy = np.asarray(position, dtype=float)[:2]
        step = 0.0 if self._last is None else float(np.linalg.norm(xy - self._last))
        step = 0.0 if step > TELEPORT else step
        self._last = xy.copy()
        self.distance += step
        ramp = AMPLITUDE_RATE if step > 1e-6 else -AMPLITUDE_RATE
        self.amplitude = float(np.clip(self.amplitude + ramp, 0.0, 1.0))
        angles = gait(self.phase, self.amplitude)
        # the dip of the pelvis that keeps the standing leg's foot on the floor
        dip = LEG * (1.0 - np.cos(angles["left_hip"]))
        local = None
        if reach is not None:  # the hand on the target's side reaches (and then carries)
            offset = np.asarray(reach, float) - [*xy, -dip]
            local = rotation_matrix((0.0, 0.0, 1.0), -yaw) @ offset
            if not carrying:
                self.side = "left" if local[1] > 0.0 else "right"
        arm = [f"{self.side}_{s}" for s in ("shoulder_pitch", "shoulder_roll", "elbow")]
        if carrying:
            angles.update(zip(arm, CARRY, strict=True))
        if local is not None:
            w = float(np.clip(weight, 0.0, 1.0))
            target = reach_angles(self.side, local)
            for key, value in zip(arm, target, strict=True):
                angles[key] = (1.0 - w) * angles[key] + w * value
            eye = np.array([0.0, 0.0, NECK_Z + HEAD_CENTRE])
            gaze = np.arctan2(eye[2] - local[2], max(float(np.hypot(*local[:2])), 0.1))
            angles["neck"] = w * float(np.clip(gaze - 0.35, *NECK_LIMITS))
        elif not carrying:
            self.side = "right"
        written = self.angles
        self.angles = np.clip([angles[s] for s in self.suffixes], self.low, self.high)
        self.sim.set_body_pose(self.name, np.array([*xy, -dip]), yaw)
        if self._stale or not np.array_equal(self.angles, written):  # standing: nothing to write
            self.sim.set_joint_positions(self.joints, self.angles)
            self._stale = False
        return self.angles

    def hand(self) -> np.ndarray:
        """World position of the hand that reached last."""
        return self.sim.body_position(f"{self.name}_{self.side}_hand")

    def grip(self) -> np.ndarray:
        """Where the centre of an object held in that hand rides: just beyond its palm."""
        hand = self.hand()
        forearm = hand - self.sim.body_position(f"{self.name}_{self.side}_forearm")
        return hand + GRIP * forearm / np.linalg.norm(forearm)
