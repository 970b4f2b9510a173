"""Task measures in the style of habitat-lab: each ``Measure`` resets and updates once a step,
may read measures listed before it, and ``Measurements`` composes them for a task."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Protocol

import numpy as np


class GoalTask(Protocol):
    """What the measures read from a task."""

    def agent_position(self) -> np.ndarray: ...

    def goal_position(self) -> np.ndarray: ...


class Measure(ABC):
    """One scalar measure of an episode, named ``uuid``."""

    uuid: str

    def __init__(self) -> None:
        self.value = 0.0

    @abstractmethod
    def reset(self, task: GoalTask, measures: Measurements) -> None:
        """Set ``value`` at the start of an episode."""

    @abstractmethod
    def update(self, task: GoalTask, measures: Measurements) -> None:
        """Update ``value`` after a step."""


class DistanceToGoal(Measure):
    """Euclidean distance from the agent's point to the goal (on the first ``dims`` axes)."""

    uuid = "distance_to_goal"

    def __init__(self, dims: int = 3) -> None:
        super().__init__()
        self.dims = dims

    def reset(self, task: GoalTask, measures: Measurements) -> None:
        self.update(task, measures)

    def update(self, task: GoalTask, measures: Measurements) -> None:
        offset = task.goal_position()[: self.dims] - task.agent_position()[: self.dims]
        self.value = float(np.linalg.norm(offset))


class Progress(Measure):
    """How much closer to the goal the last step brought the agent (needs distance_to_goal)."""

    uuid = "progress"

    def reset(self, task: GoalTask, measures: Measurements) -> None:
        self.value, self._last = 0.0, measures[DistanceToGoal.uuid]

    def update(self, task: GoalTask, measures: Measurements) -> None:
        distance = measures[DistanceToGoal.uuid]
        self.value, self._last = self._last - distance, distance


class Success(Measure):
    """1.0 once the agent is within ``radius`` of the goal (needs distance_to_goal)."""

    uuid = "success"

    def __init__(self, radius: float) -> None:
        super().__init__()
        self.radius = radius

    def reset(self, task: GoalTask, measures: Measurements) -> None:
        self.update(task, measures)

    def update(self, task: GoalTask, measures: Measurements) -> None:
        self.value = float(measures[DistanceToGoal.uuid] <= self.radius)


class PathLength(Measure):
    """Distance travelled by the agent's point since the episode began."""

    uuid = "path_length"

    def reset(self, task: GoalTask, measures: Measurements) -> None:
        self.value, self._last = 0.0, task.agent_position().copy()

    def update(self, task: GoalTask, measures: Measurements) -> None:
        position = task.agent_position()
        self.value += float(np.linalg.norm(position - self._last))
        self._last = position.copy()


class Measurements:
    """An ordered set of measures; each may read the values of those before it."""

    def __init__(self, measures: list[Measure]) -> None:
        self.measures = {measure.uuid: measure for measure in measures}

    def __getitem__(self, uuid: str) -> float:
        return self.measures[uuid].value

    def reset(self, task: GoalTask) -> None:
        for measure in self.measures.values():
            measure.reset(task, self)

    def update(self, task: GoalTask) -> None:
        for measure in self.measures.values():
            measure.update(task, self)

    def metrics(self) -> dict[str, float]:
        return {uuid: measure.value for uuid, measure in self.measures.items()}
