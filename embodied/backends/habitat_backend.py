"""Habitat-sim backend: a ``Scene``'s rigid geoms as primitive objects, the planar mobile base as
Habitat's (kinematic) agent carrying the camera sensors.

Only scenes whose jointed bodies are a planar base (x/y slides, yaw hinge, velocity actuators,
as in ``navigate``) are supported; Habitat has no joint actuators for articulated arms here.
Cameras must ride on the base (they become the agent's sensors) and images have the fixed size
``HabitatBackend.image_size``. This module is untested where habitat-sim is missing.
habitat-sim is optional: its only Linux wheel is for CPython 3.13 and glibc >= 2.38, so on other
systems install it with conda (``conda install habitat-sim -c conda-forge -c aihabitat``) or
build it from source (https://github.com/facebookresearch/habitat-sim/blob/main/BUILD_FROM_SOURCE.md).
"""

from __future__ import annotations

import platform
from collections.abc import Sequence
from typing import ClassVar

import numpy as np

from embodied.backends.base import Backend, yaw_quat
from scenes.description import Geom, Scene

try:
    import habitat_sim
    import magnum as mn
    from habitat_sim.utils.common import quat_from_angle_axis
except ImportError as error:  # pragma: no cover - depends on the machine
    habitat_sim = None
    _IMPORT_ERROR: ImportError | None = error
else:
    _IMPORT_ERROR = None

# Primitive templates of habitat-sim's asset library and the scale of each unit primitive.
_PRIMITIVES = {"box": "cubeSolid", "sphere": "icosphereSolid", "cylinder": "cylinderSolid",
               "capsule": "capsule3DSolid", "plane": "cubeSolid"}  # fmt: skip
PLANAR_JOINTS = ("slide", "slide", "hinge")


def require_habitat() -> None:
    """Raise ImportError saying why habitat-sim is missing and how to install it."""
    if _IMPORT_ERROR is not None:
        raise ImportError(
            f"the habitat backend needs habitat-sim, which cannot be imported here "
            f"({_IMPORT_ERROR}); its only Linux wheel is for CPython 3.13 with glibc >= 2.38 and "
            f"this is CPython {platform.python_version()} with glibc "
            f"{platform.libc_ver()[1] or 'unknown'}. Install it with conda "
            f"(conda install habitat-sim -c conda-forge -c aihabitat) or build it from source "
            f"(https://github.com/facebookresearch/habitat-sim/blob/main/BUILD_FROM_SOURCE.md)."
        ) from _IMPORT_ERROR


def _to_habitat(v: Sequence[float]) -> list[float]:
    """Z-up scene coordinates to Habitat's Y-up ones."""
    return [v[0], v[2], -v[1]]


class HabitatBackend(Backend):
    """habitat-sim: rendering with its sensors, rigid objects from primitive templates."""

    name = "habitat"
    image_modalities: ClassVar[tuple[str, ...]] = ("rgb", "depth", "segmentation")
    image_size: ClassVar[tuple[int, int]] = (64, 64)

    def __init__(self, scene: Scene) -> None:
        require_habitat()
        super().__init__(scene)
        self.base = self._planar_base()
        self._joint_names = [j.name for j in self.base.joints]
        self._qpos, self._qvel = np.zeros(3), np.zeros(3)
        self._objects: dict[str, list] = {}
        self._sim = self._simulator(*self.image_size)

    def _planar_base(self):
        jointed = [b for b, _ in self.scene.walk() if b.joints and b.joints[0].type != "free"]
        if len(jointed) != 1 or tuple(j.type for j in jointed[0].joints) != PLANAR_JOINTS:
            raise NotImplementedError(
                f"the habitat backend supports one planar base (joints {PLANAR_JOINTS}); "
                f"scene {self.scene.name!r} has jointed bodies {[b.name for b in jointed]}"
            )
        if any(a.kind != "velocity" for a in self.actuators):
            raise NotImplementedError("the habitat backend supports velocity actuators only")
        return jointed[0]

    def _simulator(self, width: int, height: int) -> habitat_sim.Simulator:
        backend_cfg = habitat_sim.SimulatorConfiguration()
        backend_cfg.scene_id = "NONE"
        backend_cfg.enable_physics = True
        sensor_types = {
            "rgb": habitat_sim.SensorType.COLOR,
            "depth": habitat_sim.SensorType.DEPTH,
            "segmentation": habitat_sim.SensorType.SEMANTIC,
        }
        specs = []
        for camera in self.scene.cameras:
            if camera.body != self.base.name:
                continue
            forward = np.asarray(camera.forward, dtype=float)
            pitch = float(np.arctan2(forward[2], np.linalg.norm(forward[:2])))
            hfov = 2.0 * np.degrees(np.arctan(np.tan(np.radians(camera.fovy) / 2) * width / height))
            for uuid, sensor_type in sensor_types.items():
                spec = habitat_sim.CameraSensorSpec()
                spec.uuid = f"{camera.name}/{uuid}"
                spec.sensor_type = sensor_type
                spec.resolution = [height, width]
                spec.hfov = mn.Deg(hfov)
                spec.position = _to_habitat(camera.pos)
                spec.orientation = [pitch, 0.0, 0.0]
                specs.append(spec)
        agent_cfg = habitat_sim.agent.AgentConfiguration(sensor_specifications=specs)
        sim = habitat_sim.Simulator(habitat_sim.Configuration(backend_cfg, [agent_cfg]))
        self._objects = {}
        labels = self.body_labels()
        for geom in self.scene.world_geoms:
            self._add(sim, "world", geom, 0, habitat_sim.physics.MotionType.STATIC)
        for body, _ in self.scene.walk():
            if body is self.base or body.name in self._child_names(self.base):
                continue
            motion = (habitat_sim.physics.MotionType.KINEMATIC if body.mocap
                      else habitat_sim.physics.MotionType.DYNAMIC if body.joints
                      else habitat_sim.physics.MotionType.STATIC)  # fmt: skip
            for geom in body.geoms:
                self._add(sim, body.name, geom, labels[body.name], motion, body.pos)
        return sim

    @staticmethod
    def _child_names(body) -> set[str]:
        names, stack = set(), list(body.children)
        while stack:
            child = stack.pop()
            names.add(child.name)
            stack.extend(child.children)
        return names

    def _add(self, sim, owner: str, geom: Geom, label: int, motion, origin=(0.0, 0.0, 0.0)) -> None:
        templates = sim.get_object_template_manager()
        template = templates.get_template_by_handle(
            templates.get_template_handles(_PRIMITIVES[geom.shape])[0]
        )
        size = (*geom.size, 0.01) if geom.shape == "plane" else geom.size
        scale = {1: (size[0],) * 3, 2: (size[0], size[1], size[0]), 3: size}[len(size)]
        template.scale = mn.Vector3(*_to_habitat(scale) if len(size) == 3 else scale)
        template.mass = geom.mass
        handle = f"{owner}_{len(self._objects.get(owner, []))}"
        templates.register_template(template, handle)
        obj = sim.get_rigid_object_manager().add_object_by_template_handle(handle)
        obj.translation = mn.Vector3(*_to_habitat(np.add(origin, geom.pos)))
        obj.motion_type = motion
        obj.semantic_id = label
        self._objects.setdefault(owner, []).append(obj)

    # ----- Backend API ------------------------------------------------------------------------
    def reset(self) -> None:
        self._sim.reset()
        self._qpos[:], self._qvel[:] = 0.0, 0.0
        self._place_agent()

    def _place_agent(self) -> None:
        agent = self._sim.get_agent(0)
        state = agent.get_state()
        state.position = np.array(_to_habitat([*self._qpos[:2], 0.0]))
        # Habitat's agent looks along its -z, which is the scene's +y: turn it onto the base's +x.
        up = np.array([0.0, 1.0, 0.0])
        state.rotation = quat_from_angle_axis(self._qpos[2] - np.pi / 2, up)
        agent.set_state(state)

    def step(self, ctrl: np.ndarray, nstep: int) -> None:
        dt = self.scene.timestep * nstep
        self._qvel[:] = ctrl
        self._qpos += self._qvel * dt
        self._place_agent()
        self._sim.step_physics(dt)

    def joint_positions(self, joints: Sequence[str]) -> np.ndarray:
        return self._qpos[[self._joint_names.index(j) for j in joints]].copy()

    def joint_velocities(self, joints: Sequence[str]) -> np.ndarray:
        return self._qvel[[self._joint_names.index(j) for j in joints]].copy()

    def set_joint_positions(self, joints: Sequence[str], positions: np.ndarray) -> None:
        for joint, position in zip(joints, positions, strict=True):
            self._qpos[self._joint_names.index(joint)] = position
            self._qvel[self._joint_names.index(joint)] = 0.0
        self._place_agent()

    def body_position(self, body: str) -> np.ndarray:
        if body == self.base.name:
            return np.array([*self._qpos[:2], self.base.pos[2]])
        x, y, z = self._objects[body][0].translation
        return np.array([x, -z, y])

    def set_body_pose(self, body: str, pos: np.ndarray, yaw: float = 0.0) -> None:
        w, _, _, z = yaw_quat(yaw)
        for obj in self._objects[body]:
            obj.translation = mn.Vector3(*_to_habitat(pos))
            obj.rotation = mn.Quaternion(mn.Vector3(0.0, z, 0.0), w)

    def render(
        self, camera: str, width: int, height: int, modalities: Sequence[str]
    ) -> dict[str, np.ndarray]:
        if self.camera(camera).body != self.base.name:
            raise NotImplementedError(f"habitat renders only cameras on {self.base.name!r}")
        if (width, height) != self.image_size:
            raise ValueError(f"habitat renders at {self.image_size}, not {(width, height)}")
        observations = self._sim.get_sensor_observations()
        images = {}
        if "rgb" in modalities:
            images["rgb"] = observations[f"{camera}/rgb"][..., :3]
        if "depth" in modalities:
            images["depth"] = observations[f"{camera}/depth"][..., None].astype(np.float32)
        if "segmentation" in modalities:
            images["segmentation"] = observations[f"{camera}/segmentation"][..., None]
        return images

    def close(self) -> None:
        self._sim.close()
