"""Multimodal observations chosen by config: proprio, goal, rgb, depth, segmentation, text."""

from __future__ import annotations

import string
from collections.abc import Sequence
from typing import Protocol

import gymnasium as gym
import numpy as np

from embodied.backends.base import Backend

MODALITIES = ("proprio", "goal", "rgb", "depth", "segmentation", "text")
IMAGE_MODALITIES = ("rgb", "depth", "segmentation")
TEXT_CHARSET = string.ascii_letters + string.digits + " .,;:'!?-"
MAX_TEXT_LENGTH = 256


class SensedTask(Protocol):
    """What the sensors read from a task."""

    instruction: str

    def proprio(self) -> np.ndarray: ...

    def goal_vector(self) -> np.ndarray: ...


def check_modalities(modalities: Sequence[str], backend: type[Backend]) -> tuple[str, ...]:
    """``modalities`` as a tuple; an unknown one, or one the backend lacks, lists the valid."""
    modalities = tuple(modalities)
    if not modalities:
        raise ValueError(f"no modalities given; valid: {', '.join(MODALITIES)}")
    for modality in modalities:
        if modality not in MODALITIES:
            raise ValueError(f"unknown modality {modality!r}; valid: {', '.join(MODALITIES)}")
        if modality in IMAGE_MODALITIES and modality not in backend.image_modalities:
            valid = [
                m for m in MODALITIES if m not in IMAGE_MODALITIES or m in backend.image_modalities
            ]
            raise ValueError(
                f"backend {backend.name!r} has no {modality!r} images; valid: {', '.join(valid)}"
            )
    if len(set(modalities)) != len(modalities):
        raise ValueError(f"modalities {modalities} repeat an entry")
    return modalities


class Sensors:
    """Reads the chosen ``modalities`` of a task's embodiment; images come from ``camera``."""

    def __init__(
        self,
        modalities: Sequence[str],
        sim: Backend,
        task: SensedTask,
        camera: str,
        width: int,
        height: int,
    ) -> None:
        if width < 1 or height < 1:
            raise ValueError(f"image size must be positive, got {width}×{height}")
        self.modalities = check_modalities(modalities, type(sim))
        self.images = [m for m in self.modalities if m in IMAGE_MODALITIES]
        self.sim, self.task = sim, task
        self.camera, self.width, self.height = sim.camera(camera).name, width, height
        self.space = gym.spaces.Dict({m: self._space(m) for m in self.modalities})

    def _space(self, modality: str) -> gym.Space:
        shape = (self.height, self.width)
        if modality in ("proprio", "goal"):
            vector = self.task.proprio() if modality == "proprio" else self.task.goal_vector()
            return gym.spaces.Box(-np.inf, np.inf, vector.shape, np.float32)
        if modality == "rgb":
            return gym.spaces.Box(0, 255, (*shape, 3), np.uint8)
        if modality == "depth":
            far = self.sim.camera(self.camera).far
            return gym.spaces.Box(0.0, far, (*shape, 1), np.float32)
        if modality == "segmentation":
            labels = len(self.sim.scene.body_names())
            return gym.spaces.Box(0, labels, (*shape, 1), np.int32)
        return gym.spaces.Text(MAX_TEXT_LENGTH, min_length=0, charset=TEXT_CHARSET)

    def observe(self) -> dict[str, np.ndarray | str]:
        observation: dict[str, np.ndarray | str] = {}
        if self.images:
            images = self.sim.render(self.camera, self.width, self.height, self.images)
        for modality in self.modalities:
            if modality == "proprio":
                observation[modality] = self.task.proprio().astype(np.float32)
            elif modality == "goal":
                observation[modality] = self.task.goal_vector().astype(np.float32)
            elif modality == "text":
                observation[modality] = self.task.instruction
            else:
                observation[modality] = images[modality].astype(self.space[modality].dtype)
        return observation
