"""An articulated humanoid: the user avatar's body, sized like a 1.7 m person.

The root is a mocap body at the floor (x forward, z up) carrying the pelvis and torso; below it
hang the head (neck pitch), two legs (hip and knee pitch) and two arms (shoulder pitch and roll,
elbow). Every joint is kinematic (posed by ``embodied.envs.avatar_motion``) and every visible
geom passes through other bodies; a ``solid`` avatar collides through an invisible proxy of
today's capsule-and-head shape, so it blocks a robot the same whatever its limbs do.

Joint signs: positive hip, shoulder pitch and elbow swing the limb forward (flexion); positive
knee bends the shin back; positive shoulder roll lifts the arm sideways, away from the body;
positive neck tilts the head down.
"""

from __future__ import annotations

from scenes.description import Body, Geom, Joint, Vec3

HIP_HEIGHT = 0.92  # of the hip joints above the floor
HIP_HALF_WIDTH = 0.1
THIGH = 0.43
SHIN = 0.43  # ankle 0.06 m above the floor
SHOULDER_Z = 1.42
SHOULDER_HALF_WIDTH = 0.2
UPPER_ARM = 0.3
FOREARM = 0.27  # hanging hand at 0.85 m
NECK_Z = 1.5  # of the neck joint (the head body's frame)
HEAD_CENTRE = 0.1  # above the neck: the head's centre at 1.6 m
SIDES = {"left": 1.0, "right": -1.0}  # sign of y

CLOTHES_RGBA = (0.25, 0.45, 0.85, 1.0)
TROUSERS_RGBA = (0.2, 0.22, 0.3, 1.0)
SKIN_RGBA = (0.95, 0.8, 0.65, 1.0)
DARK_RGBA = (0.1, 0.1, 0.1, 1.0)
PITCH = (0.0, -1.0, 0.0)  # a positive angle about it swings a hanging limb forward


def limb_joints(name: str, side: str) -> tuple[str, ...]:
    """The joints of one side: hip, knee, shoulder pitch, shoulder roll, elbow."""
    p = f"{name}_{side}_"
    return (f"{p}hip", f"{p}knee", f"{p}shoulder_pitch", f"{p}shoulder_roll", f"{p}elbow")


def humanoid_joints(name: str) -> tuple[str, ...]:
    """Every joint of the humanoid ``name``: the neck, then the left and right limbs."""
    return (f"{name}_neck", *limb_joints(name, "left"), *limb_joints(name, "right"))


def _segment(length: float, radius: float, rgba: tuple[float, ...], mass: float) -> Geom:
    """A capsule hanging ``length`` down from its body's frame."""
    half = max(length / 2 - radius / 2, 0.01)
    return Geom("capsule", (radius, half), pos=(0.0, 0.0, -length / 2), rgba=rgba, mass=mass,
                collide=False)  # fmt: skip


def _leg(name: str, side: str) -> Body:
    p, y = f"{name}_{side}_", SIDES[side] * HIP_HALF_WIDTH
    foot = Geom("box", (0.1, 0.045, 0.03), pos=(0.05, 0.0, -SHIN - 0.03), rgba=DARK_RGBA,
                mass=0.3, collide=False)  # fmt: skip
    shin = Body(f"{p}shin", pos=(0.0, 0.0, -THIGH),
                geoms=(_segment(SHIN, 0.055, TROUSERS_RGBA, 1.0), foot),
                joints=(Joint(f"{p}knee", axis=(0.0, 1.0, 0.0), range=(0.0, 2.4)),))  # fmt: skip
    return Body(f"{p}thigh", pos=(0.0, y, HIP_HEIGHT),
                geoms=(_segment(THIGH, 0.07, TROUSERS_RGBA, 2.0),),
                joints=(Joint(f"{p}hip", axis=PITCH, range=(-1.2, 1.6)),),
                children=(shin,))  # fmt: skip


def _arm(name: str, side: str) -> Body:
    p, sign = f"{name}_{side}_", SIDES[side]
    hand = Body(
        f"{p}hand",
        pos=(0.0, 0.0, -FOREARM),
        geoms=(Geom("sphere", (0.045,), rgba=SKIN_RGBA, mass=0.2, collide=False),),
    )
    forearm = Body(f"{p}forearm", pos=(0.0, 0.0, -UPPER_ARM),
                   geoms=(_segment(FOREARM, 0.04, SKIN_RGBA, 0.6),),
                   joints=(Joint(f"{p}elbow", axis=PITCH, range=(0.0, 2.6)),),
                   children=(hand,))  # fmt: skip
    return Body(f"{p}upper_arm", pos=(0.0, sign * SHOULDER_HALF_WIDTH, SHOULDER_Z),
                geoms=(_segment(UPPER_ARM, 0.05, CLOTHES_RGBA, 1.0),),
                joints=(Joint(f"{p}shoulder_pitch", axis=PITCH, range=(-1.5, 3.1)),
                        Joint(f"{p}shoulder_roll", axis=(sign, 0.0, 0.0), range=(-1.2, 2.0))),
                children=(forearm,))  # fmt: skip


def _head(name: str) -> Body:
    neck = Geom("capsule", (0.05, 0.03), pos=(0.0, 0.0, -0.01), rgba=SKIN_RGBA, mass=0.3,
                collide=False)  # fmt: skip
    skull = Geom("sphere", (0.11,), pos=(0.0, 0.0, HEAD_CENTRE), rgba=SKIN_RGBA, mass=3.0,
                 collide=False)  # fmt: skip
    hair = Geom("sphere", (0.105,), pos=(-0.02, 0.0, HEAD_CENTRE + 0.02), rgba=(0.3, 0.2, 0.1, 1),
                mass=0.1, collide=False)  # fmt: skip
    glasses = Geom("box", (0.015, 0.062, 0.012), pos=(0.095, 0.0, HEAD_CENTRE), rgba=DARK_RGBA,
                   mass=0.05, collide=False)  # fmt: skip
    return Body(
        f"{name}_head",
        pos=(0.0, 0.0, NECK_Z),
        geoms=(neck, skull, hair, glasses),
        joints=(Joint(f"{name}_neck", axis=(0.0, 1.0, 0.0), range=(-0.6, 0.9)),),
    )


def humanoid(name: str, pos: Vec3 = (0.0, 0.0, 0.0), solid: bool = True) -> Body:
    """The avatar body ``name`` (a mocap root at the floor); ``solid``: with a collision proxy."""
    torso = (
        Geom("box", (0.1, 0.16, 0.08), pos=(0.0, 0.0, HIP_HEIGHT + 0.02), rgba=TROUSERS_RGBA,
             mass=5.0, collide=False),
        Geom("capsule", (0.15, 0.16), pos=(0.0, 0.0, 1.22), rgba=CLOTHES_RGBA, mass=20.0,
             collide=False),
        Geom("capsule", (0.07, 0.16), pos=(0.0, 0.0, SHOULDER_Z), quat=(0.7071068, 0.7071068,
             0.0, 0.0), rgba=CLOTHES_RGBA, mass=2.0, collide=False),
    )  # fmt: skip
    proxy = (
        Geom("capsule", (0.18, 0.45), pos=(0.0, 0.0, 0.75), collide=True, visible=False),
        Geom("sphere", (0.12,), pos=(0.0, 0.0, 1.52), collide=True, visible=False),
    )
    return Body(
        name, pos=pos, mocap=True, geoms=(*torso, *(proxy if solid else ())),
        children=(_head(name), *(_leg(name, s) for s in SIDES), *(_arm(name, s) for s in SIDES)),
    )  # fmt: skip
