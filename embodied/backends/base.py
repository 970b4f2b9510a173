"""The simulator interface every backend implements, and camera geometry they share."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import ClassVar

import numpy as np

from scenes.description import Camera, Scene


class Backend(ABC):
    """One compiled ``Scene`` in one simulator.

    Joints are addressed by name; ``segmentation`` labels pixels with ``1 + index`` of the body
    in ``scene.body_names()`` (0: background and world geoms), the same on every backend.
    """

    name: ClassVar[str]
    image_modalities: ClassVar[tuple[str, ...]]

    def __init__(self, scene: Scene) -> None:
        self.scene = scene.validate()
        self.actuators = scene.actuators
        self.ctrl_low = np.array([a.ctrlrange[0] for a in scene.actuators], dtype=np.float32)
        self.ctrl_high = np.array([a.ctrlrange[1] for a in scene.actuators], dtype=np.float32)

    @abstractmethod
    def reset(self) -> None:
        """Back to the scene's initial state: joints at 0, bodies at their described poses."""

    @abstractmethod
    def step(self, ctrl: np.ndarray, nstep: int) -> None:
        """Apply actuator controls ``ctrl`` (scene actuator order) for ``nstep`` physics steps."""

    @abstractmethod
    def joint_positions(self, joints: Sequence[str]) -> np.ndarray:
        """Positions of hinge/slide ``joints``."""

    @abstractmethod
    def joint_velocities(self, joints: Sequence[str]) -> np.ndarray:
        """Velocities of hinge/slide ``joints``."""

    @abstractmethod
    def set_joint_positions(self, joints: Sequence[str], positions: np.ndarray) -> None:
        """Set hinge/slide ``joints`` to ``positions`` at rest."""

    @abstractmethod
    def body_position(self, body: str) -> np.ndarray:
        """World position of ``body``'s frame."""

    @abstractmethod
    def set_body_pose(self, body: str, pos: np.ndarray, yaw: float = 0.0) -> None:
        """Place a mocap or free root ``body`` at ``pos`` turned by ``yaw`` about z, at rest."""

    def camera_pose(self, camera: str) -> tuple[np.ndarray, np.ndarray]:
        """World position of ``camera`` and its rotation, columns (right, up, backward): it
        looks along minus the third column (OpenGL convention). A camera on a body (a head)
        moves and turns with it."""
        raise NotImplementedError(f"the {self.name} backend has no camera poses")

    def in_contact(self, bodies: Sequence[str], other: str) -> bool:
        """Whether a geom of any of ``bodies`` touched a geom of ``other`` in the last step."""
        raise NotImplementedError(f"the {self.name} backend has no contact queries")

    def attach(self, body: str, to: str) -> None:
        """Hold free ``body`` rigidly at its current pose relative to ``to`` (a gripper's hand,
        as ``Embodiment.gripper`` names) until ``detach``: the grasp constraint."""
        raise NotImplementedError(f"the {self.name} backend has no grasp constraints")

    def detach(self, body: str) -> None:
        """Release ``body`` from the grasp constraint ``attach`` made (no-op if none)."""
        raise NotImplementedError(f"the {self.name} backend has no grasp constraints")

    def _check_attach(self, body: str, to: str) -> None:
        grippers = [e.gripper for e in self.scene.embodiments if e.gripper]
        free = self.scene.free_bodies()
        if to not in grippers:
            raise ValueError(f"attach to {to!r}: not a gripper; valid: {', '.join(grippers)}")
        if body not in free:
            raise ValueError(f"attach {body!r}: not a free body; valid: {', '.join(free)}")

    @abstractmethod
    def render(
        self, camera: str, width: int, height: int, modalities: Sequence[str]
    ) -> dict[str, np.ndarray]:
        """Images of ``camera``: "rgb" uint8 (H, W, 3), "depth" float32 metres (H, W, 1),
        "segmentation" int32 (H, W, 1), for the requested ``modalities``."""

    @abstractmethod
    def close(self) -> None:
        """Release the simulator."""

    def camera(self, name: str) -> Camera:
        for camera in self.scene.cameras:
            if camera.name == name:
                return camera
        valid = ", ".join(c.name for c in self.scene.cameras)
        raise KeyError(f"scene {self.scene.name!r} has no camera {name!r}; valid: {valid}")

    def body_labels(self) -> dict[str, int]:
        """Segmentation label of each body."""
        return {name: index + 1 for index, name in enumerate(self.scene.body_names())}


def camera_axes(camera: Camera) -> np.ndarray:
    """Rows (right, up, backward) of ``camera``'s frame in its body's frame (OpenGL convention)."""
    forward = np.asarray(camera.forward, dtype=float)
    forward /= np.linalg.norm(forward)
    right = np.cross(forward, camera.up)
    right /= np.linalg.norm(right)
    up = np.cross(right, forward)
    return np.stack([right, up, -forward])


def yaw_quat(yaw: float) -> np.ndarray:
    """Quaternion (w, x, y, z) of a rotation by ``yaw`` about z."""
    return np.array([np.cos(yaw / 2.0), 0.0, 0.0, np.sin(yaw / 2.0)])
