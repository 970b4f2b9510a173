"""Compile a ``Scene`` into PyBullet multibodies (``createMultiBody``) and simulate/render it.

Each root body becomes one multibody. Every joint is one link (a body with several joints is a
chain of massless-ish links), and every geom is its own fixed link at the geom's pose, so that
link frames, inertial frames and shapes coincide and no frame convention is ambiguous.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
import pybullet
from pybullet_utils.bullet_client import BulletClient

from embodied.backends.base import Backend, camera_axes, yaw_quat
from scenes.description import IDENTITY, Body, Geom, Quat, Scene

FRAME_MASS = 1e-3  # mass of links that only carry a joint or a frame
KINEMATIC_BRAKE = 1e4  # newton-metres holding a kinematic joint (an avatar's limb) still
_JOINTS = {"hinge": pybullet.JOINT_REVOLUTE, "slide": pybullet.JOINT_PRISMATIC}
_CONTROL = {
    "motor": pybullet.TORQUE_CONTROL,
    "position": pybullet.POSITION_CONTROL,
    "velocity": pybullet.VELOCITY_CONTROL,
}


def _xyzw(quat: Quat | np.ndarray) -> list[float]:
    return [quat[1], quat[2], quat[3], quat[0]]


@dataclass
class _MultiBody:
    """The arguments of one ``createMultiBody`` call, filled link by link."""

    base_pos: tuple[float, ...]
    base_quat: Quat
    base_mass: float
    base_owner: str = "world"  # the description body the base stands for
    links: list[dict] = field(default_factory=list)
    owners: list[str] = field(default_factory=list)  # description body of each link
    frames: dict[str, int] = field(default_factory=dict)  # body name -> link (-1: base)

    def add_link(self, owner: str, parent: int, pos, quat, **link) -> int:
        self.links.append({"parent": parent + 1, "pos": pos, "quat": quat, **link})
        self.owners.append(owner)
        return len(self.links) - 1


class PyBulletBackend(Backend):
    """PyBullet in DIRECT mode; images from its CPU TinyRenderer."""

    name = "pybullet"
    image_modalities: ClassVar[tuple[str, ...]] = ("rgb", "depth", "segmentation")

    def __init__(self, scene: Scene) -> None:
        super().__init__(scene)
        self.client = BulletClient(connection_mode=pybullet.DIRECT)
        self._build()

    def _build(self) -> None:
        """Create the scene in an empty world."""
        scene = self.scene
        self.client.setTimeStep(scene.timestep)
        self.client.setGravity(*scene.gravity)
        self._joints: dict[str, tuple[int, int]] = {}  # name -> (body uid, link)
        self._frames: dict[str, tuple[int, int]] = {}  # body name -> (uid, link); link -1: base
        self._labels: dict[int, int] = {-1: 0}  # segmentation value -> body label
        self._links: dict[str, tuple[int, set[int]]] = {}  # body name -> (uid, its geom links)
        self._grasps: dict[str, int] = {}  # held body -> constraint id
        labels = self.body_labels()
        world = _MultiBody((0.0, 0.0, 0.0), IDENTITY, 0.0)
        for geom in scene.world_geoms:
            self._add_geom(world, "world", geom, -1)
        self._create(world, labels)
        for root in scene.bodies:
            self._create(self._compile_root(root), labels)
        self._controls = self._control_groups()
        kinematic = {j.name for b, _ in scene.walk() if b.name in scene.kinematic_bodies()
                     for j in b.joints}  # fmt: skip
        for name, (uid, link) in self._joints.items():
            brake = KINEMATIC_BRAKE if name in kinematic else 0.0  # held where it was set
            self.client.setJointMotorControl2(uid, link, pybullet.VELOCITY_CONTROL, force=brake)

    # ----- compilation ------------------------------------------------------------------------
    def _compile_root(self, root: Body) -> _MultiBody:
        if any(j.type in _JOINTS for j in root.joints):  # jointed to the world
            multibody = _MultiBody((0.0, 0.0, 0.0), IDENTITY, 0.0)
            self._add_body(multibody, root, parent=-1)
        else:
            free = bool(root.joints)
            multibody = _MultiBody(root.pos, root.quat, FRAME_MASS if free else 0.0, root.name)
            multibody.frames[root.name] = -1
            self._add_contents(multibody, root, frame=-1)
        return multibody

    def _add_body(self, multibody: _MultiBody, body: Body, parent: int) -> None:
        pos, quat, frame = body.pos, body.quat, parent
        for joint in body.joints or (None,):
            frame = multibody.add_link(
                body.name, frame, pos, quat, mass=FRAME_MASS, col=-1, vis=-1,
                type=_JOINTS[joint.type] if joint else pybullet.JOINT_FIXED,
                axis=joint.axis if joint else (0.0, 0.0, 1.0), joint=joint,
            )  # fmt: skip
            pos, quat = (0.0, 0.0, 0.0), IDENTITY
        multibody.frames[body.name] = frame
        self._add_contents(multibody, body, frame)

    def _add_contents(self, multibody: _MultiBody, body: Body, frame: int) -> None:
        for geom in body.geoms:
            self._add_geom(multibody, body.name, geom, frame)
        for child in body.children:
            self._add_body(multibody, child, frame)

    def _add_geom(self, multibody: _MultiBody, owner: str, geom: Geom, frame: int) -> None:
        shape, size = geom.shape, geom.size
        kwargs: dict = {}
        pos = geom.pos
        if shape == "plane":  # a thin box: TinyRenderer draws no planes
            shape, size, pos = "box", (*size, 0.01), (pos[0], pos[1], pos[2] - 0.01)
        if shape == "box":
            kwargs, shape_type = {"halfExtents": size}, pybullet.GEOM_BOX
        elif shape == "sphere":
            kwargs, shape_type = {"radius": size[0]}, pybullet.GEOM_SPHERE
        else:
            shape_type = pybullet.GEOM_CAPSULE if shape == "capsule" else pybullet.GEOM_CYLINDER
            kwargs = {"radius": size[0], "length": 2.0 * size[1]}
        col_kwargs = {k if k != "length" else "height": v for k, v in kwargs.items()}
        col = self.client.createCollisionShape(shape_type, **col_kwargs) if geom.collide else -1
        # a link without a visual shape is drawn with its collision shape: hide it transparent
        rgba = geom.rgba if geom.visible else (0.0, 0.0, 0.0, 0.0)
        vis = self.client.createVisualShape(shape_type, rgbaColor=rgba, **kwargs)
        multibody.add_link(
            owner, frame, pos, geom.quat, mass=geom.mass, col=col, vis=vis,
            type=pybullet.JOINT_FIXED, axis=(0.0, 0.0, 1.0), joint=None, friction=geom.friction,
        )  # fmt: skip

    def _create(self, multibody: _MultiBody, labels: dict[str, int]) -> None:
        links = multibody.links
        uid = self.client.createMultiBody(
            baseMass=multibody.base_mass,
            basePosition=multibody.base_pos,
            baseOrientation=_xyzw(multibody.base_quat),
            linkMasses=[link["mass"] for link in links],
            linkCollisionShapeIndices=[link["col"] for link in links],
            linkVisualShapeIndices=[link["vis"] for link in links],
            linkPositions=[link["pos"] for link in links],
            linkOrientations=[_xyzw(link["quat"]) for link in links],
            linkInertialFramePositions=[(0.0, 0.0, 0.0)] * len(links),
            linkInertialFrameOrientations=[(0.0, 0.0, 0.0, 1.0)] * len(links),
            linkParentIndices=[link["parent"] for link in links],
            linkJointTypes=[link["type"] for link in links],
            linkJointAxis=[link["axis"] for link in links],
        )
        self._frames.update({name: (uid, link) for name, link in multibody.frames.items()})
        self._labels[uid] = labels.get(multibody.base_owner, 0)
        self._links.setdefault(multibody.base_owner, (uid, set()))[1].add(-1)
        for index, (link, owner) in enumerate(zip(links, multibody.owners, strict=True)):
            self._links.setdefault(owner, (uid, set()))[1].add(index)
            self._labels[uid + ((index + 1) << 24)] = labels.get(owner, 0)
            joint = link["joint"]
            if joint is not None:
                self._joints[joint.name] = (uid, index)
                limits = {}
                if joint.range is not None:
                    limits = {"jointLowerLimit": joint.range[0], "jointUpperLimit": joint.range[1]}
                self.client.changeDynamics(uid, index, jointDamping=joint.damping, **limits)
            if "friction" in link:
                self.client.changeDynamics(uid, index, lateralFriction=link["friction"])

    def _control_groups(self) -> list[tuple[int, int, np.ndarray, np.ndarray, np.ndarray]]:
        """(uid, control mode, link indices, actuator indices, gains or force limits)."""
        groups: dict[tuple[int, str], list[int]] = {}
        for index, actuator in enumerate(self.actuators):
            uid, _ = self._joints[actuator.joint]
            groups.setdefault((uid, actuator.kind), []).append(index)
        result = []
        for (uid, kind), indices in groups.items():
            actuators = [self.actuators[i] for i in indices]
            links = np.array([self._joints[a.joint][1] for a in actuators])
            scale = np.array([a.gain if kind == "motor" else a.forcelimit for a in actuators])
            result.append((uid, _CONTROL[kind], links, np.array(indices), scale))
        return result

    # ----- simulation -------------------------------------------------------------------------
    def reset(self) -> None:
        # A rebuild, not restoreState: that keeps contact caches, so same seeds would diverge.
        self.client.resetSimulation()
        self._build()

    def step(self, ctrl: np.ndarray, nstep: int) -> None:
        for uid, mode, links, indices, scale in self._controls:
            values = ctrl[indices]
            if mode == pybullet.TORQUE_CONTROL:
                self.client.setJointMotorControlArray(uid, links, mode, forces=values * scale)
            elif mode == pybullet.POSITION_CONTROL:
                self.client.setJointMotorControlArray(
                    uid, links, mode, targetPositions=values, forces=scale
                )
            else:
                self.client.setJointMotorControlArray(
                    uid, links, mode, targetVelocities=values, forces=scale
                )
        for _ in range(nstep):
            self.client.stepSimulation()

    def _joint_states(self, joints: Sequence[str]) -> list[tuple]:
        return [self.client.getJointState(*self._joints[name]) for name in joints]

    def joint_positions(self, joints: Sequence[str]) -> np.ndarray:
        return np.array([state[0] for state in self._joint_states(joints)])

    def joint_velocities(self, joints: Sequence[str]) -> np.ndarray:
        return np.array([state[1] for state in self._joint_states(joints)])

    def set_joint_positions(self, joints: Sequence[str], positions: np.ndarray) -> None:
        for name, position in zip(joints, positions, strict=True):
            self.client.resetJointState(*self._joints[name], float(position), 0.0)

    def _frame_pose(self, body: str) -> tuple[np.ndarray, np.ndarray]:
        """World position and rotation matrix of ``body``'s frame."""
        if body == "world":
            return np.zeros(3), np.eye(3)
        uid, link = self._frames[body]
        if link == -1:
            pos, orn = self.client.getBasePositionAndOrientation(uid)
        else:
            pos, orn = self.client.getLinkState(uid, link, computeForwardKinematics=True)[4:6]
        return np.array(pos), np.array(self.client.getMatrixFromQuaternion(orn)).reshape(3, 3)

    def body_position(self, body: str) -> np.ndarray:
        return self._frame_pose(body)[0]

    def camera_pose(self, camera: str) -> tuple[np.ndarray, np.ndarray]:
        cam = self.camera(camera)
        pos, rot = self._frame_pose(cam.body)
        return pos + rot @ np.asarray(cam.pos), rot @ camera_axes(cam).T

    def in_contact(self, bodies: Sequence[str], other: str) -> bool:
        other_uid, other_links = self._links[other]
        for name in bodies:
            uid, links = self._links[name]
            for point in self.client.getContactPoints(bodyA=uid, bodyB=other_uid):
                if point[3] in links and point[4] in other_links:
                    return True
        return False

    def attach(self, body: str, to: str) -> None:
        self._check_attach(body, to)
        self.detach(body)
        hand_uid, hand_link = self._frames[to]
        body_uid, _ = self._frames[body]
        hand_pos, hand_rot = self._frame_pose(to)
        held_pos, held_orn = self.client.getBasePositionAndOrientation(body_uid)
        hand_orn = self.client.getLinkState(hand_uid, hand_link, computeForwardKinematics=True)[5]
        relpos = hand_rot.T @ (np.asarray(held_pos) - hand_pos)
        _, relorn = self.client.multiplyTransforms(
            [0.0, 0.0, 0.0], self.client.invertTransform([0.0, 0.0, 0.0], hand_orn)[1],
            [0.0, 0.0, 0.0], held_orn,
        )  # fmt: skip
        constraint = self.client.createConstraint(
            hand_uid, hand_link, body_uid, -1, pybullet.JOINT_FIXED, [0.0, 0.0, 0.0],
            parentFramePosition=relpos.tolist(), childFramePosition=[0.0, 0.0, 0.0],
            parentFrameOrientation=relorn,
        )  # fmt: skip
        self.client.changeConstraint(constraint, maxForce=200.0)
        self._grasps[body] = constraint

    def detach(self, body: str) -> None:
        constraint = self._grasps.pop(body, None)
        if constraint is not None:
            self.client.removeConstraint(constraint)

    def set_body_pose(self, body: str, pos: np.ndarray, yaw: float = 0.0) -> None:
        uid, _ = self._frames[body]
        self.client.resetBasePositionAndOrientation(uid, list(pos), _xyzw(yaw_quat(yaw)))
        self.client.resetBaseVelocity(uid, [0.0, 0.0, 0.0], [0.0, 0.0, 0.0])

    def render(
        self, camera: str, width: int, height: int, modalities: Sequence[str]
    ) -> dict[str, np.ndarray]:
        cam = self.camera(camera)
        eye, axes = self.camera_pose(camera)
        _, up, back = axes.T
        view = self.client.computeViewMatrix(eye.tolist(), (eye - back).tolist(), up.tolist())
        proj = self.client.computeProjectionMatrixFOV(cam.fovy, width / height, cam.near, cam.far)
        flags = (
            pybullet.ER_SEGMENTATION_MASK_OBJECT_AND_LINKINDEX
            if "segmentation" in modalities
            else pybullet.ER_NO_SEGMENTATION_MASK
        )
        _, _, rgba, depth, seg = self.client.getCameraImage(
            width, height, view, proj, renderer=pybullet.ER_TINY_RENDERER, flags=flags
        )
        images: dict[str, np.ndarray] = {}
        if "rgb" in modalities:
            images["rgb"] = np.asarray(rgba, np.uint8).reshape(height, width, 4)[..., :3]
        if "depth" in modalities:
            buffer = np.asarray(depth, np.float32).reshape(height, width, 1)
            near, far = cam.near, cam.far
            metres = far * near / (far - (far - near) * buffer)
            images["depth"] = np.clip(metres, 0.0, far, dtype=np.float32)
        if "segmentation" in modalities:
            values, inverse = np.unique(np.asarray(seg).reshape(-1), return_inverse=True)
            labels = np.array([self._labels.get(int(v), 0) for v in values], np.int32)
            images["segmentation"] = labels[inverse].reshape(height, width, 1)
        return images

    def close(self) -> None:
        if self.client is not None:
            self.client.disconnect()
            self.client = None
