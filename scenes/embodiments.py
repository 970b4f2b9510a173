"""Embodiment builders: robot arm, mobile base (optionally with an arm), user avatar, wearable.

Each returns description parts (bodies, actuators, cameras, embodiment) to compose into scenes.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

from scenes.description import (
    Actuator,
    Body,
    Camera,
    Embodiment,
    Geom,
    Joint,
    Vec3,
    rotation,
)
from scenes.humanoid import NECK_Z, humanoid, humanoid_joints

ALONG_X = rotation((0.0, 1.0, 0.0), math.pi / 2)  # turns a capsule's z axis onto x
ROBOT_RGBA = (0.85, 0.55, 0.1, 1.0)


@dataclass(frozen=True)
class Parts:
    """Description parts of one embodiment."""

    body: Body | None
    actuators: tuple[Actuator, ...] = ()
    cameras: tuple[Camera, ...] = ()
    embodiment: Embodiment | None = None


def _link(name: str, length: float, joint: Joint, child: Body | None, pos: Vec3) -> Body:
    """An arm link along x of ``length`` turning about ``joint``, carrying ``child`` at its end."""
    capsule = Geom("capsule", (0.035, length / 2), pos=(length / 2, 0.0, 0.0), quat=ALONG_X,
                   rgba=ROBOT_RGBA, mass=0.3, collide=False)  # fmt: skip
    return Body(name, pos=pos, geoms=(capsule,), joints=(joint,),
                children=(child,) if child else ())  # fmt: skip


def arm_chain(prefix: str, pos: Vec3, lengths: tuple[float, float] = (0.4, 0.35),
              end: Body | None = None) -> Body:  # fmt: skip
    """A two-link arm (shoulder and elbow pitch) ending in ``end`` (default: a
    ``<prefix>fingertip`` ball) at the forearm's tip."""
    fingertip = end or Body(f"{prefix}fingertip", geoms=(
        Geom("sphere", (0.04,), rgba=(0.9, 0.9, 0.9, 1.0), mass=0.05, collide=False),))  # fmt: skip
    fingertip = dataclasses.replace(fingertip, pos=(lengths[1], 0.0, 0.0))
    pitch = (0.0, 1.0, 0.0)
    elbow = _link(f"{prefix}forearm", lengths[1],
                  Joint(f"{prefix}elbow", axis=pitch, range=(-2.6, 2.6), damping=0.5),
                  fingertip, pos=(lengths[0], 0.0, 0.0))  # fmt: skip
    return _link(f"{prefix}upper_arm", lengths[0],
                 Joint(f"{prefix}shoulder", axis=pitch, range=(-1.6, 1.6), damping=0.5),
                 elbow, pos=pos)  # fmt: skip


def _servos(prefix: str, joints: tuple[str, ...], limit: float, gain: float = 150.0,
            forcelimit: float = 30.0) -> tuple[Actuator, ...]:  # fmt: skip
    return tuple(
        Actuator(f"{prefix}{joint}_servo", f"{prefix}{joint}", kind="position", gain=gain,
                 ctrlrange=(-limit, limit), forcelimit=forcelimit)
        for joint in joints
    )  # fmt: skip


def robot_arm(name: str = "arm") -> Parts:
    """A fixed 3-DoF arm (base yaw, shoulder, elbow) with position servos."""
    prefix = f"{name}_"
    base = Body(f"{name}_base", pos=(0.0, 0.0, 0.0), geoms=(
        Geom("cylinder", (0.08, 0.05), pos=(0.0, 0.0, 0.05), rgba=(0.3, 0.3, 0.3, 1.0),
             mass=2.0, collide=False),),
        joints=(Joint(f"{prefix}yaw", range=(-3.1, 3.1), damping=0.5),),
        children=(arm_chain(prefix, pos=(0.0, 0.0, 0.15)),))  # fmt: skip
    joints = ("yaw", "shoulder", "elbow")
    # from above and behind the base: the whole reachable half-disc (radius 0.75 m) in view
    camera = Camera("overview", pos=(-0.4, 0.0, 1.8), forward=(0.8, 0.0, -1.7))
    return Parts(
        base,
        _servos(prefix, joints, 1.6),
        (camera,),
        Embodiment(name, "robot", base.name, tuple(prefix + j for j in joints), camera.name),
    )


JAW_HALF = (0.05, 0.01, 0.02)  # half-extents of a gripper jaw (along the hand's x, y, z)
JAW_OFFSET = 0.1  # lateral offset of each open jaw's centre from the hand's axis
JAW_REACH = 0.06  # forward offset of the jaws' centres from the hand's frame
GRIPPER_STROKE = 0.17  # travel of the sliding jaw: open gap 0.18 m, closed 0.01 m
GRIPPER_FORCE = 15.0  # newtons at command ±1
SHOULDER_HEIGHT = 0.68  # above the base's frame (0.8 m above the floor)
ARM_LENGTHS = (0.45, 0.35)


def gripper(prefix: str) -> Body:
    """A parallel-jaw gripper ``<prefix>hand``: a palm, a fixed jaw on its +y side and a jaw
    sliding towards it on the ``<prefix>gripper`` joint (0: open, ``GRIPPER_STROKE``: closed)."""
    grey = (0.25, 0.25, 0.28, 1.0)
    fixed = Body(f"{prefix}finger_fixed", pos=(JAW_REACH, JAW_OFFSET, 0.0),
                 geoms=(Geom("box", JAW_HALF, rgba=grey, mass=0.05),))  # fmt: skip
    sliding = Body(f"{prefix}finger_sliding", pos=(JAW_REACH, -JAW_OFFSET, 0.0),
                   geoms=(Geom("box", JAW_HALF, rgba=grey, mass=0.05),),
                   joints=(Joint(f"{prefix}gripper", "slide", (0.0, 1.0, 0.0),
                                 range=(0.0, GRIPPER_STROKE), damping=3.0),))  # fmt: skip
    palm = Geom("box", (0.015, JAW_OFFSET + 0.01, 0.025), rgba=grey, mass=0.1, collide=False)
    return Body(f"{prefix}hand", geoms=(palm,), children=(fixed, sliding))


def mobile_base(name: str = "robot", with_arm: bool = False) -> Parts:
    """A holonomic round base at the origin (world-frame x/y slides, so joint values are floor
    coordinates; yaw hinge) with velocity control and a forward camera; ``with_arm`` mounts on a
    mast a two-link arm ending in a parallel-jaw ``gripper`` driven by one force command
    (+1 closes, −1 opens): a mobile manipulator."""
    prefix = f"{name}_"
    geoms = (
        Geom("cylinder", (0.22, 0.1), rgba=ROBOT_RGBA, mass=8.0),
        Geom("box", (0.05, 0.12, 0.03), pos=(0.17, 0.0, 0.12), rgba=(0.2, 0.2, 0.2, 1.0),
             mass=0.2, collide=False),
    )  # fmt: skip
    children: tuple[Body, ...] = ()
    if with_arm:
        mast = Geom("box", (0.05, 0.05, SHOULDER_HEIGHT / 2), pos=(0.0, 0.0, SHOULDER_HEIGHT / 2),
                    rgba=(0.3, 0.3, 0.3, 1.0), mass=1.0, collide=False)  # fmt: skip
        geoms = (*geoms, mast)
        arm = arm_chain(prefix, pos=(0.0, 0.0, SHOULDER_HEIGHT), lengths=ARM_LENGTHS,
                        end=gripper(prefix))  # fmt: skip
        children = (arm,)
    base = Body(
        name, pos=(0.0, 0.0, 0.12), geoms=geoms, children=children,
        joints=(Joint(f"{prefix}x", "slide", (1.0, 0.0, 0.0)),
                Joint(f"{prefix}y", "slide", (0.0, 1.0, 0.0)),
                Joint(f"{prefix}yaw", "hinge", (0.0, 0.0, 1.0))),
    )  # fmt: skip
    velocity = [
        Actuator(f"{prefix}{axis}_velocity", f"{prefix}{axis}", kind="velocity", gain=gain,
                 ctrlrange=(-limit, limit), forcelimit=200.0)
        for axis, gain, limit in (("x", 80.0, 1.0), ("y", 80.0, 1.0), ("yaw", 10.0, 1.5))
    ]  # fmt: skip
    joints = ("x", "y", "yaw", *(("shoulder", "elbow", "gripper") if with_arm else ()))
    grip = Actuator(f"{prefix}gripper_motor", f"{prefix}gripper", kind="motor",
                    gain=GRIPPER_FORCE, forcelimit=GRIPPER_FORCE)  # fmt: skip
    arm = (*_servos(prefix, ("shoulder",), 1.6), *_servos(prefix, ("elbow",), 2.6), grip)
    actuators = (*velocity, *(arm if with_arm else ()))
    camera = Camera(f"{name}_camera", name, pos=(0.2, 0.0, 0.2), forward=(1.0, 0.0, -0.15),
                    fovy=75.0)  # fmt: skip
    return Parts(
        base,
        actuators,
        (camera,),
        Embodiment(name, "robot", name, tuple(prefix + j for j in joints), camera.name,
                   gripper=f"{prefix}hand" if with_arm else None,
                   fingers=(f"{prefix}finger_fixed", f"{prefix}finger_sliding") if with_arm
                   else ()),
    )  # fmt: skip


def avatar(name: str = "user", pos: Vec3 = (0.0, 0.0, 0.0), solid: bool = True) -> Parts:
    """An articulated person (``scenes.humanoid``) standing for the user, moved by a
    simulated-user policy with kinematic joints; not ``solid``: it passes through bodies
    instead of shoving them."""
    body = humanoid(name, pos, solid)
    return Parts(body, embodiment=Embodiment(name, "avatar", name, humanoid_joints(name)))


def wearable(avatar_name: str = "user", name: str = "wearable") -> Parts:
    """An egocentric head camera on the avatar's head (smart glasses): it moves and turns with
    the head and sees what the avatar faces; it observes, it does not act."""
    head = f"{avatar_name}_head"
    camera = Camera(name, head, pos=(0.16, 0.0, 1.6 - NECK_Z), forward=(1.0, 0.0, -0.35),
                    fovy=80.0)  # fmt: skip
    embodiment = Embodiment(name, "wearable", head, camera=name)
    return Parts(None, cameras=(camera,), embodiment=embodiment)
