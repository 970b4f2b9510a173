"""From what a robot perceives each tick to the symbolic world and the user's completed actions.

A percept holds the user's and the robot's floor poses, the positions of the objects the robot
sees, and whether the bin's lid is open. The recogniser keeps the robot's view of the world
(objects it cannot see stay where it last saw them, from the episodic memory) and reports each
action of the user when it completes, with the world as it was when the user began it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from worldmodels.user_model.household import (
    CONTAINERS,
    OBJECTS,
    PLACE_CENTERS,
    PLACE_RADIUS,
    PLACES,
    ROBOT_STAND,
    STAND,
    Action,
    World,
    search_place,
)
from worldmodels.user_model.memory import EpisodicMemory

AT_STAND = 0.05  # metres: an agent this close to a stand point is there
USER_HAND = (0.45, 0.9, 1.1)  # an object within 0.45 m of the avatar, 0.9-1.1 m high, is held
ROBOT_CARRY = 0.1  # an object within 0.1 m of the robot's axis is carried by it

UserEvent = tuple[World, Action, World]  # world when the user began, action, world after


def _location(xy: np.ndarray, stands: Mapping[str, tuple[float, float]]) -> str | None:
    for name, (x, y) in stands.items():
        if math.hypot(xy[0] - x, xy[1] - y) < AT_STAND:
            return name
    return None


class ActionRecognizer:
    """The robot's symbolic view of the world and the user's actions, from percepts."""

    def __init__(self, memory: EpisodicMemory | None = None) -> None:
        self.memory = memory if memory is not None else EpisodicMemory()
        self.world: World | None = None
        self._departed_from: World | None = None  # the view when the user left its location

    def _object_place(self, k: int, percept: Mapping[str, Any], previous: str) -> str:
        pos = np.asarray(percept["objects"][k], dtype=float)
        user, robot = np.asarray(percept["user"]), np.asarray(percept["robot"])
        reach, low, high = USER_HAND
        if np.hypot(*(pos[:2] - user[:2])) < reach and low <= pos[2] <= high:
            return "user"
        if np.hypot(*(pos[:2] - robot[:2])) < ROBOT_CARRY:
            return "robot"
        near = min(PLACES, key=lambda p: math.dist(pos[:2], PLACE_CENTERS[p]))
        return near if math.dist(pos[:2], PLACE_CENTERS[near]) < PLACE_RADIUS else previous

    def _view(self, percept: Mapping[str, Any], time: float) -> World:
        prev = self.world
        lid_open = bool(np.asarray(percept["lid_open"]).reshape(-1)[0])
        where = []
        for k, obj in enumerate(OBJECTS):
            if bool(percept["visible"][k]):
                place = self._object_place(k, percept, prev.where[k] if prev else PLACES[0])
                if place in PLACES:
                    self.memory.see(obj, place, time, "robot")
            else:
                seen = self.memory.last_seen(obj)
                place = seen.place if seen is not None else search_place("hub", set())
            where.append(place)
        user = _location(np.asarray(percept["user"]), STAND) or (prev.at[0] if prev else "hub")
        robot = _location(np.asarray(percept["robot"]), ROBOT_STAND) or (
            prev.at[1] if prev else "hub"
        )
        return World(
            tuple(where), (user, robot), frozenset(CONTAINERS) if lid_open else frozenset()
        )

    def reset(self, percept: Mapping[str, Any], time: float = 0.0) -> World:
        """Start an episode; the user is taken to know the room as it is now (every object
        outside a closed container), as someone who has just looked around."""
        self.world, self._departed_from = None, None
        self.world = self._view(percept, time)
        for place in PLACES:
            for obj in self.world.visible_at(place):
                self.memory.see(obj, place, time, "user")
        return self.world

    def user_looks(self, world: World, time: float) -> None:
        """Record what the user sees where it stands (as far as the robot can tell)."""
        here = world.location("user")
        for obj in world.visible_at(here):
            self.memory.see(obj, here, time, "user")

    def update(self, percept: Mapping[str, Any], time: float) -> list[UserEvent]:
        """Take this tick's percept; return the user's actions that completed since the last."""
        if self.world is None:
            raise RuntimeError("call reset() with the first percept before update()")
        before, now = self.world, self._view(percept, time)
        events: list[UserEvent] = []
        moving = _location(np.asarray(percept["user"]), STAND) is None
        if moving and self._departed_from is None:
            self._departed_from = before
        if not moving and self._departed_from is not None:
            start = self._departed_from
            self._departed_from = None
            if now.location("user") != start.location("user"):
                events.append((start, ("walk", now.location("user")), now))
        for k, obj in enumerate(OBJECTS):
            was, is_ = before.where[k], now.where[k]
            if was != "user" and is_ == "user" and was in PLACES:
                events.append((before, ("pick", obj), now))
            elif was == "user" and is_ in PLACES:
                events.append((before, ("put",), now))
        opened = set(now.open) - set(before.open)
        if opened and now.location("user") in opened and now.location("robot") not in opened:
            events.append((before, ("open", now.location("user")), now))
        self.world = now
        for _, action, after in events:
            if action[0] in ("walk", "open"):
                self.user_looks(after, time)
        return events
