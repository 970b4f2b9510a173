"""A simulated user with a hidden task and its own beliefs, acting Boltzmann-rationally.

The user knows where the objects it has seen are (objects in a closed container are unknown
until it looks inside), picks each next action with probability ∝ exp(rationality · Q) mixed
with ``noise`` (Q from the symbolic planner of ``worldmodels.user_model.household``), may change
its mind, and answers questions about its task truthfully or, with ``answer_error``, wrongly.
"""

from __future__ import annotations

import numpy as np

from worldmodels.user_model.household import (
    OBJECTS,
    TASKS,
    Action,
    Belief,
    UserTask,
    World,
    action_values,
    boltzmann,
    initial_belief,
    look,
    task,
)


class SimulatedUser:
    """The avatar's mind: a task, a belief about object places, a noisy rational policy."""

    def __init__(
        self,
        rationality: float = 2.0,
        noise: float = 0.05,
        answer_error: float = 0.0,
        change_mind_prob: float = 0.0,
    ) -> None:
        if rationality < 0 or not 0 <= noise <= 1 or not 0 <= answer_error <= 1:
            raise ValueError(
                f"rationality={rationality} must be >= 0, noise={noise} and "
                f"answer_error={answer_error} in [0, 1]"
            )
        if not 0 <= change_mind_prob <= 1:
            raise ValueError(f"change_mind_prob={change_mind_prob} must be in [0, 1]")
        self.rationality, self.noise = rationality, noise
        self.answer_error, self.change_mind_prob = answer_error, change_mind_prob
        self.task: UserTask = TASKS[0]
        self.belief: Belief = ()
        self.questions: list[str] = []  # every question it was asked, in order

    def reset(self, goal: UserTask, world: World) -> None:
        """Start with ``goal``, knowing every object outside a closed container."""
        self.task, self.questions = goal, []
        self.belief = initial_belief(world)

    def change_task(self, name: str) -> None:
        self.task = task(name)

    def look(self, world: World) -> None:
        """Update the belief with what is visible where the user stands (and what it holds)."""
        self.belief = look(self.belief, world, "user")

    def hear(self, obj: str, place: str) -> None:
        """The robot said it put ``obj`` at ``place``."""
        belief = list(self.belief)
        belief[OBJECTS.index(obj)] = place
        self.belief = tuple(belief)

    def decide(self, world: World, rng: np.random.Generator) -> Action:
        """The next action: Boltzmann over the action values under the user's own belief."""
        if self.change_mind_prob and rng.random() < self.change_mind_prob:
            self.task = TASKS[int(rng.integers(len(TASKS)))]
        actions, values = action_values(world, "user", self.belief, self.task)
        probs = boltzmann(values, self.rationality, self.noise)
        return actions[int(rng.choice(len(actions), p=probs))]

    def done(self, world: World) -> bool:
        return world.satisfied(self.task)

    def answer(self, question: str, rng: np.random.Generator) -> str:
        """Name the task in words: truthfully, or with probability ``answer_error`` another one."""
        self.questions.append(question)
        told = self.task
        if rng.random() < self.answer_error:
            others = [t for t in TASKS if t != self.task]
            told = others[int(rng.integers(len(others)))]
        return f"I want to {told.description}."
