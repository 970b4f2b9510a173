"""The grasp rule of a gripper: attach an object only while the closed jaws both touch it."""

from __future__ import annotations

from embodied.backends.base import Backend
from scenes.description import Embodiment


class Grasp:
    """Tracks what ``robot``'s gripper holds.

    ``update(command)`` after each physics step: a closing command (> 0) whose jaws all touch a
    free body attaches it to the hand (``Backend.attach``); an opening command (<= 0) releases
    it. A closed gripper touching nothing, or touching with one jaw only, holds nothing.
    """

    def __init__(self, sim: Backend, robot: Embodiment) -> None:
        if robot.gripper is None or not robot.fingers:
            raise ValueError(f"embodiment {robot.name!r} has no gripper with fingers")
        self.sim, self.hand, self.fingers = sim, robot.gripper, robot.fingers
        self.objects = sim.scene.free_bodies()
        self.held: str | None = None

    def reset(self) -> None:
        self.held = None

    def update(self, command: float) -> None:
        if command <= 0.0:
            if self.held is not None:
                self.sim.detach(self.held)
                self.held = None
            return
        if self.held is not None:
            return
        for name in self.objects:
            if all(self.sim.in_contact((finger,), name) for finger in self.fingers):
                self.sim.attach(name, self.hand)
                self.held = name
                return
