"""A backend-neutral scene description: bodies, geoms, joints, actuators and cameras.

One ``Scene`` compiles to every simulator backend (``embodied.backends``). Scenes are built in
Python (see ``scenes.library``) or loaded from a YAML/JSON file with ``load_scene``; every
invalid field fails with an error that lists what is valid.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

Vec3 = tuple[float, float, float]
Quat = tuple[float, float, float, float]  # (w, x, y, z)

GEOM_SHAPES = ("box", "sphere", "capsule", "cylinder", "plane")
JOINT_TYPES = ("hinge", "slide", "free")
ACTUATOR_KINDS = ("motor", "position", "velocity")
EMBODIMENT_KINDS = ("robot", "avatar", "wearable")
IDENTITY: Quat = (1.0, 0.0, 0.0, 0.0)


def rotation(axis: Vec3, angle: float) -> Quat:
    """The quaternion (w, x, y, z) of a rotation by ``angle`` radians about ``axis``."""
    norm = math.sqrt(sum(a * a for a in axis))
    s = math.sin(angle / 2.0) / norm
    return (math.cos(angle / 2.0), axis[0] * s, axis[1] * s, axis[2] * s)


@dataclass(frozen=True)
class Geom:
    """A shape. ``size``: box half-extents (3); sphere radius (1); capsule/cylinder radius and
    half-length along local z (2); plane half-extents (2)."""

    shape: str
    size: tuple[float, ...]
    pos: Vec3 = (0.0, 0.0, 0.0)
    quat: Quat = IDENTITY
    rgba: tuple[float, float, float, float] = (0.7, 0.7, 0.7, 1.0)
    mass: float = 1.0
    collide: bool = True
    friction: float = 1.0
    visible: bool = True  # False: a collision proxy that is not drawn (nor segmented)


@dataclass(frozen=True)
class Joint:
    """A degree of freedom of a body relative to its parent; ``range`` None means unlimited."""

    name: str
    type: str = "hinge"
    axis: Vec3 = (0.0, 0.0, 1.0)
    range: tuple[float, float] | None = None
    damping: float = 0.0


@dataclass(frozen=True)
class Body:
    """A rigid body with its geoms, joints (applied in order) and child bodies.

    ``mocap`` bodies are kinematic: moved by setting their pose (goal markers, a user avatar).
    The joints below a mocap body are kinematic too (an avatar's limbs): only
    ``set_joint_positions`` moves them; the simulator holds them where they were set (gravity
    is compensated, no motor drives them), so keep their geoms ``collide=False``.
    """

    name: str
    pos: Vec3 = (0.0, 0.0, 0.0)
    quat: Quat = IDENTITY
    geoms: tuple[Geom, ...] = ()
    joints: tuple[Joint, ...] = ()
    children: tuple[Body, ...] = ()
    mocap: bool = False


@dataclass(frozen=True)
class Actuator:
    """Drives one joint: ``motor`` (force = gain·ctrl), ``position`` or ``velocity`` servo."""

    name: str
    joint: str
    kind: str = "motor"
    gain: float = 1.0
    ctrlrange: tuple[float, float] = (-1.0, 1.0)
    forcelimit: float = 100.0


@dataclass(frozen=True)
class Camera:
    """A pinhole camera fixed to ``body`` ("world" for a fixed one), looking along ``forward``."""

    name: str
    body: str = "world"
    pos: Vec3 = (0.0, 0.0, 0.0)
    forward: Vec3 = (1.0, 0.0, 0.0)
    up: Vec3 = (0.0, 0.0, 1.0)
    fovy: float = 60.0
    near: float = 0.02
    far: float = 20.0


@dataclass(frozen=True)
class Embodiment:
    """An embodied agent of the scene: its kind, root body, joints it senses and camera.

    ``gripper``: the hand body of a robot that grasps (objects held are attached to it) and
    ``fingers`` the bodies whose contact with an object counts as touching it.
    """

    name: str
    kind: str
    body: str
    joints: tuple[str, ...] = ()
    camera: str | None = None
    gripper: str | None = None
    fingers: tuple[str, ...] = ()


@dataclass(frozen=True)
class Scene:
    """A whole scene; ``validate`` checks its cross-references."""

    name: str
    bodies: tuple[Body, ...]
    actuators: tuple[Actuator, ...] = ()
    cameras: tuple[Camera, ...] = ()
    embodiments: tuple[Embodiment, ...] = ()
    world_geoms: tuple[Geom, ...] = ()
    timestep: float = 0.005
    gravity: Vec3 = (0.0, 0.0, -9.81)

    def walk(self) -> Iterator[tuple[Body, Body | None]]:
        """Every body with its parent (None for a root), parents first."""
        stack: list[tuple[Body, Body | None]] = [(b, None) for b in reversed(self.bodies)]
        while stack:
            body, parent = stack.pop()
            yield body, parent
            stack.extend((child, body) for child in reversed(body.children))

    def body_names(self) -> list[str]:
        return [body.name for body, _ in self.walk()]

    def joint_names(self) -> list[str]:
        return [joint.name for body, _ in self.walk() for joint in body.joints]

    def kinematic_bodies(self) -> list[str]:
        """Bodies below a mocap root (an avatar's limbs): their joints are posed by scripts."""
        names: list[str] = []
        stack = [child for root in self.bodies if root.mocap for child in root.children]
        while stack:
            body = stack.pop()
            names.append(body.name)
            stack.extend(body.children)
        return names

    def free_bodies(self) -> list[str]:
        """Root bodies on a free joint: the objects that can be picked up."""
        return [b.name for b in self.bodies if any(j.type == "free" for j in b.joints)]

    def embodiment(self, name: str) -> Embodiment:
        for embodiment in self.embodiments:
            if embodiment.name == name:
                return embodiment
        valid = ", ".join(e.name for e in self.embodiments)
        raise KeyError(f"scene {self.name!r} has no embodiment {name!r}; valid: {valid}")

    def validate(self) -> Scene:
        """Raise ``ValueError`` naming the first invalid field and what is valid; return self."""
        bodies = self.body_names()
        joints = self.joint_names()
        _unique("body", bodies)
        _unique("joint", joints)
        _unique("actuator", [a.name for a in self.actuators])
        _unique("camera", [c.name for c in self.cameras])
        for geom in self.world_geoms:
            _check_geom(geom, "world")
        for body, parent in self.walk():
            for geom in body.geoms:
                _check_geom(geom, body.name)
            for joint in body.joints:
                _choice(f"joint {joint.name!r} type", joint.type, JOINT_TYPES)
                if joint.type == "free" and (parent is not None or len(body.joints) > 1):
                    raise ValueError(f"free joint {joint.name!r} must be a root body's only joint")
            if body.mocap and (parent is not None or body.joints):
                raise ValueError(f"mocap body {body.name!r} must be a root body without joints")
        for actuator in self.actuators:
            _choice(f"actuator {actuator.name!r} kind", actuator.kind, ACTUATOR_KINDS)
            _choice(f"actuator {actuator.name!r} joint", actuator.joint, joints)
        for camera in self.cameras:
            _choice(f"camera {camera.name!r} body", camera.body, ["world", *bodies])
        for embodiment in self.embodiments:
            _choice(f"embodiment {embodiment.name!r} kind", embodiment.kind, EMBODIMENT_KINDS)
            _choice(f"embodiment {embodiment.name!r} body", embodiment.body, bodies)
            for joint in embodiment.joints:
                _choice(f"embodiment {embodiment.name!r} joint", joint, joints)
            for part in (
                *((embodiment.gripper,) if embodiment.gripper else ()),
                *embodiment.fingers,
            ):
                _choice(f"embodiment {embodiment.name!r} gripper body", part, bodies)
            if embodiment.fingers and embodiment.gripper is None:
                raise ValueError(f"embodiment {embodiment.name!r} has fingers but no gripper")
            if embodiment.camera is not None:
                cameras = [c.name for c in self.cameras]
                _choice(f"embodiment {embodiment.name!r} camera", embodiment.camera, cameras)
        return self


def _unique(what: str, names: list[str]) -> None:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise ValueError(f"duplicate {what} name {name!r}")
        seen.add(name)


def _choice(what: str, value: str, valid: list[str] | tuple[str, ...]) -> None:
    if value not in valid:
        raise ValueError(f"{what} is {value!r}; valid: {', '.join(valid)}")


SIZE_LENGTHS = {"box": 3, "sphere": 1, "capsule": 2, "cylinder": 2, "plane": 2}


def _check_geom(geom: Geom, owner: str) -> None:
    _choice(f"geom shape of body {owner!r}", geom.shape, GEOM_SHAPES)
    expected = SIZE_LENGTHS[geom.shape]
    if len(geom.size) != expected or min(geom.size) <= 0:
        raise ValueError(
            f"{geom.shape} geom of body {owner!r} has size {geom.size}; "
            f"valid: {expected} positive number(s)"
        )


# ----- files ----------------------------------------------------------------------------------
_NESTED: dict[type, dict[str, type]] = {
    Scene: {"bodies": Body, "actuators": Actuator, "cameras": Camera,
            "embodiments": Embodiment, "world_geoms": Geom},
    Body: {"geoms": Geom, "joints": Joint, "children": Body},
}  # fmt: skip


def _build(cls: type, data: dict[str, Any], where: str) -> Any:
    if not isinstance(data, dict):
        raise ValueError(f"{where} must be a mapping, got {type(data).__name__}")
    names = [f.name for f in dataclasses.fields(cls)]
    unknown = sorted(set(data) - set(names))
    if unknown:
        raise ValueError(
            f"{where} has unknown key(s) {', '.join(unknown)}; valid: {', '.join(names)}"
        )
    values: dict[str, Any] = {}
    for key, value in data.items():
        nested = _NESTED.get(cls, {}).get(key)
        if nested is not None:
            values[key] = tuple(
                _build(nested, item, f"{where}.{key}[{i}]") for i, item in enumerate(value)
            )
        elif isinstance(value, list):
            values[key] = tuple(value)
        else:
            values[key] = value
    try:
        return cls(**values)
    except TypeError as error:
        raise ValueError(f"{where}: {error}; valid keys: {', '.join(names)}") from None


def scene_from_dict(data: dict[str, Any]) -> Scene:
    """Build and validate a scene from plain data (as ``dataclasses.asdict`` writes it)."""
    return _build(Scene, data, "scene").validate()


def load_scene(path: str | Path) -> Scene:
    """Load a scene from a ``.yaml``/``.yml``/``.json`` file; invalid content names the fault."""
    path = Path(path)
    loaders = {".yaml": yaml.safe_load, ".yml": yaml.safe_load, ".json": json.loads}
    if path.suffix not in loaders:
        raise ValueError(
            f"scene file {path} has suffix {path.suffix!r}; valid: {', '.join(loaders)}"
        )
    try:
        data = loaders[path.suffix](path.read_text())
    except (yaml.YAMLError, json.JSONDecodeError) as error:
        raise ValueError(f"scene file {path} is not valid {path.suffix[1:]}: {error}") from None
    return scene_from_dict(data)


def save_scene(scene: Scene, path: str | Path) -> None:
    """Write ``scene`` as YAML or JSON (by suffix), readable by ``load_scene``."""
    path = Path(path)
    data = json.loads(json.dumps(dataclasses.asdict(scene)))  # tuples -> lists
    text = json.dumps(data, indent=1) if path.suffix == ".json" else yaml.safe_dump(data)
    path.write_text(text)
