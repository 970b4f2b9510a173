"""Compile a ``Scene`` with ``mujoco.MjSpec`` and simulate/render it with MuJoCo."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import mujoco
import numpy as np

import embodied._gl  # noqa: F401  (before any rendering)
from embodied.backends.base import Backend, camera_axes, yaw_quat
from scenes.description import Actuator, Body, Geom, Scene

_SHAPES = {
    "box": mujoco.mjtGeom.mjGEOM_BOX,
    "sphere": mujoco.mjtGeom.mjGEOM_SPHERE,
    "capsule": mujoco.mjtGeom.mjGEOM_CAPSULE,
    "cylinder": mujoco.mjtGeom.mjGEOM_CYLINDER,
    "plane": mujoco.mjtGeom.mjGEOM_PLANE,
}
_JOINTS = {
    "hinge": mujoco.mjtJoint.mjJNT_HINGE,
    "slide": mujoco.mjtJoint.mjJNT_SLIDE,
    "free": mujoco.mjtJoint.mjJNT_FREE,
}
MAX_IMAGE_SIZE = 1024
HIDDEN_GROUP = 3  # geom group of collision proxies: not drawn by the default visual options


def compile_scene(scene: Scene) -> mujoco.MjSpec:
    """The MuJoCo spec of ``scene`` (call ``.compile()`` for the model)."""
    spec = mujoco.MjSpec()
    spec.modelname = scene.name
    spec.compiler.degree = False  # scene descriptions give angles in radians
    spec.option.timestep = scene.timestep
    spec.option.gravity = scene.gravity
    spec.visual.global_.offwidth = spec.visual.global_.offheight = MAX_IMAGE_SIZE
    # No shadow map: on software (CPU) OpenGL a 4096² shadow pass costs ~15 ms per frame.
    spec.worldbody.add_light(
        pos=[0, 0, 6], dir=[0, 0, -1], diffuse=[0.6, 0.6, 0.6], castshadow=False
    )
    for geom in scene.world_geoms:
        _add_geom(spec.worldbody, geom)
    for body in scene.bodies:
        _add_body(spec.worldbody, body)
    for name in scene.kinematic_bodies():  # posed by scripts: no gravity moves them
        spec.body(name).gravcomp = 1.0
    for actuator in scene.actuators:
        _add_actuator(spec, actuator)
    for gripper, body in grasp_pairs(scene):
        spec.add_equality(type=mujoco.mjtEq.mjEQ_WELD, name=_weld_name(gripper, body),
                          name1=gripper, name2=body, objtype=mujoco.mjtObj.mjOBJ_BODY,
                          active=False)  # fmt: skip
    for camera in scene.cameras:
        parent = spec.worldbody if camera.body == "world" else spec.body(camera.body)
        quat = np.empty(4)
        mujoco.mju_mat2Quat(quat, camera_axes(camera).T.flatten())
        parent.add_camera(name=camera.name, pos=camera.pos, quat=quat, fovy=camera.fovy)
    return spec


def grasp_pairs(scene: Scene) -> list[tuple[str, str]]:
    """(gripper hand, free body) of every grasp the scene allows: one inactive weld each."""
    free = scene.free_bodies()
    return [(e.gripper, body) for e in scene.embodiments if e.gripper for body in free]


def _weld_name(gripper: str, body: str) -> str:
    return f"grasp:{gripper}:{body}"


def _add_geom(parent: mujoco.MjsBody, geom: Geom) -> None:
    size = [*geom.size, 0.0, 0.0][:3] if geom.shape != "plane" else [*geom.size, 0.1]
    added = parent.add_geom(
        type=_SHAPES[geom.shape], size=size, pos=geom.pos, quat=geom.quat, rgba=geom.rgba,
        friction=[geom.friction, 0.005, 0.0001],
    )  # fmt: skip
    if geom.shape != "plane":
        added.mass = geom.mass
    if not geom.collide:
        added.contype = added.conaffinity = 0
    if not geom.visible:
        added.group = HIDDEN_GROUP


def _add_body(parent: mujoco.MjsBody, body: Body) -> None:
    added = parent.add_body(name=body.name, pos=body.pos, quat=body.quat, mocap=body.mocap)
    for joint in body.joints:
        kwargs = {"type": _JOINTS[joint.type], "name": joint.name}
        if joint.type != "free":
            kwargs.update(axis=joint.axis, damping=joint.damping)
        if joint.range is not None:
            kwargs.update(range=joint.range, limited=mujoco.mjtLimited.mjLIMITED_TRUE)
        added.add_joint(**kwargs)
    for geom in body.geoms:
        _add_geom(added, geom)
    for child in body.children:
        _add_body(added, child)


def _add_actuator(spec: mujoco.MjSpec, actuator: Actuator) -> None:
    added = spec.add_actuator(
        name=actuator.name, target=actuator.joint, trntype=mujoco.mjtTrn.mjTRN_JOINT,
        ctrlrange=actuator.ctrlrange, ctrllimited=mujoco.mjtLimited.mjLIMITED_TRUE,
        forcerange=[-actuator.forcelimit, actuator.forcelimit],
        forcelimited=mujoco.mjtLimited.mjLIMITED_TRUE,
    )  # fmt: skip
    if actuator.kind == "motor":
        added.set_to_motor()
        added.gear[0] = actuator.gain
    elif actuator.kind == "position":
        added.set_to_position(kp=actuator.gain, dampratio=1.0)
    else:
        added.set_to_velocity(kv=actuator.gain)


def _conjugate(quat: np.ndarray) -> np.ndarray:
    return np.array([quat[0], -quat[1], -quat[2], -quat[3]])


class MujocoBackend(Backend):
    """MuJoCo: the first-class backend; ``model``/``data`` are public for planners."""

    name = "mujoco"
    image_modalities: ClassVar[tuple[str, ...]] = ("rgb", "depth", "segmentation")

    def __init__(self, scene: Scene) -> None:
        super().__init__(scene)
        self.model = compile_scene(self.scene).compile()
        self.data = mujoco.MjData(self.model)
        self._renderers: dict[tuple[int, int], mujoco.Renderer] = {}
        labels = self.body_labels()
        body_label = np.array(
            [labels.get(self.model.body(i).name, 0) for i in range(self.model.nbody)], np.int32
        )
        self._geom_label = np.append(body_label[self.model.geom_bodyid], np.int32(0))  # [-1]: 0
        self._qpos_cache: dict[tuple[str, ...], np.ndarray] = {}
        self._qvel_cache: dict[tuple[str, ...], np.ndarray] = {}

    def _qpos_adr(self, joints: Sequence[str]) -> np.ndarray:
        key = tuple(joints)
        if key not in self._qpos_cache:
            self._qpos_cache[key] = np.array([self.model.joint(j).qposadr[0] for j in key], int)
            self._qvel_cache[key] = np.array([self.model.joint(j).dofadr[0] for j in key], int)
        return self._qpos_cache[key]

    def reset(self) -> None:
        mujoco.mj_resetData(self.model, self.data)
        mujoco.mj_forward(self.model, self.data)

    def step(self, ctrl: np.ndarray, nstep: int) -> None:
        self.data.ctrl[:] = ctrl
        mujoco.mj_step(self.model, self.data, nstep=nstep)

    def joint_positions(self, joints: Sequence[str]) -> np.ndarray:
        return self.data.qpos[self._qpos_adr(joints)]

    def joint_velocities(self, joints: Sequence[str]) -> np.ndarray:
        self._qpos_adr(joints)
        return self.data.qvel[self._qvel_cache[tuple(joints)]]

    def set_joint_positions(self, joints: Sequence[str], positions: np.ndarray) -> None:
        adr = self._qpos_adr(joints)
        self.data.qpos[adr] = positions
        self.data.qvel[self._qvel_cache[tuple(joints)]] = 0.0
        mujoco.mj_forward(self.model, self.data)

    def body_position(self, body: str) -> np.ndarray:
        return self.data.body(body).xpos.copy()

    def camera_pose(self, camera: str) -> tuple[np.ndarray, np.ndarray]:
        self.camera(camera)  # an unknown name lists the valid ones
        view = self.data.cam(camera)
        return view.xpos.copy(), view.xmat.reshape(3, 3).copy()

    def in_contact(self, bodies: Sequence[str], other: str) -> bool:
        ids = {self.model.body(name).id for name in bodies}
        other_id = self.model.body(other).id
        contacts = self.data.contact[: self.data.ncon]
        first = self.model.geom_bodyid[contacts.geom1]
        second = self.model.geom_bodyid[contacts.geom2]
        return any(
            (a in ids and b == other_id) or (b in ids and a == other_id)
            for a, b in zip(first, second, strict=True)
        )

    def attach(self, body: str, to: str) -> None:
        self._check_attach(body, to)
        weld = self.model.equality(_weld_name(to, body)).id
        hand, held = self.data.body(to), self.data.body(body)
        rotation = hand.xmat.reshape(3, 3)  # weld data: anchor, body2's pose in body1's frame
        relpos = rotation.T @ (held.xpos - hand.xpos)
        relquat = np.empty(4)
        mujoco.mju_mulQuat(relquat, _conjugate(hand.xquat), held.xquat)
        self.model.eq_data[weld, :10] = [0.0, 0.0, 0.0, *relpos, *relquat]
        self.data.eq_active[weld] = 1

    def detach(self, body: str) -> None:
        for gripper, other in grasp_pairs(self.scene):
            if other == body:
                self.data.eq_active[self.model.equality(_weld_name(gripper, body)).id] = 0

    def set_body_pose(self, body: str, pos: np.ndarray, yaw: float = 0.0) -> None:
        model_body = self.model.body(body)
        if model_body.mocapid[0] >= 0:
            self.data.mocap_pos[model_body.mocapid[0]] = pos
            self.data.mocap_quat[model_body.mocapid[0]] = yaw_quat(yaw)
        else:  # a free root body
            joint = self.model.joint(model_body.jntadr[0])
            self.data.qpos[joint.qposadr[0] : joint.qposadr[0] + 7] = [*pos, *yaw_quat(yaw)]
            self.data.qvel[joint.dofadr[0] : joint.dofadr[0] + 6] = 0.0
        mujoco.mj_forward(self.model, self.data)

    def render(
        self, camera: str, width: int, height: int, modalities: Sequence[str]
    ) -> dict[str, np.ndarray]:
        far = self.camera(camera).far
        renderer = self._renderers.get((width, height))
        if renderer is None:
            renderer = mujoco.Renderer(self.model, height=height, width=width)
            self._renderers[(width, height)] = renderer
        renderer.update_scene(self.data, camera=camera)
        images: dict[str, np.ndarray] = {}
        if "rgb" in modalities:
            images["rgb"] = renderer.render()
        if "depth" in modalities:
            renderer.enable_depth_rendering()
            depth = renderer.render()
            renderer.disable_depth_rendering()
            images["depth"] = np.minimum(depth, far, dtype=np.float32)[..., None]
        if "segmentation" in modalities:
            renderer.enable_segmentation_rendering()
            ids, types = np.moveaxis(renderer.render(), -1, 0)
            renderer.disable_segmentation_rendering()
            geom_ids = np.where(types == mujoco.mjtObj.mjOBJ_GEOM, ids, -1)
            images["segmentation"] = self._geom_label[geom_ids, None]
        return images

    def close(self) -> None:
        for renderer in self._renderers.values():
            renderer.close()
        self._renderers.clear()
