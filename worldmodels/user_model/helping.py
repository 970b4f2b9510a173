"""Decisions of a helper under a goal posterior: which object to move where, hedging, asking.

The expected utility of moving object ``o`` to place ``t`` is the expected saving in the user's
remaining plan cost, E_g[cost_g(world) − cost_g(world with o at t)], minus a small price per
second of robot effort. The value of a question is the expected utility after the answer minus
the best expected utility now.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from worldmodels.user_model.household import (
    CONTAINERS,
    OBJECTS,
    PLACES,
    TASK_NAMES,
    TASKS,
    WALK_SPEED,
    World,
    distance,
    plan_cost,
)

Subtask = tuple[str, str]  # (object, place)


@dataclass(frozen=True)
class Choice:
    """The best subtask (None: nothing worth doing) and its expected utility."""

    subtask: Subtask | None
    utility: float


def candidate_subtasks(world: World) -> list[Subtask]:
    """Objects lying at a place (not in a hand) and places they are not at."""
    return [(o, t) for o, w in zip(OBJECTS, world.where, strict=True) if w in PLACES
            for t in PLACES if t != w]  # fmt: skip


def _moved(world: World, obj: str, place: str) -> World:
    where = list(world.where)
    where[OBJECTS.index(obj)] = place
    return replace(world, where=tuple(where))


def savings(world: World, subtasks: list[Subtask]) -> np.ndarray:
    """``[i, g]``: seconds of the user's plan for task g saved if the robot does subtask i."""
    base = np.array([plan_cost(world, "user", world.where, g) for g in TASKS])
    out = np.empty((len(subtasks), len(TASKS)))
    for i, (obj, place) in enumerate(subtasks):
        moved = _moved(world, obj, place)
        out[i] = base - [plan_cost(moved, "user", moved.where, g) for g in TASKS]
    return out


def robot_seconds(world: World, subtask: Subtask) -> float:
    obj, place = subtask
    source = world.place_of(obj)
    here = world.location("robot")
    return (distance(here, source) + distance(source, place)) / WALK_SPEED + 2.0


def best_subtask(
    world: World, goal_probs: np.ndarray, avoid: dict[str, float] | None = None,
    effort_price: float = 0.05,
) -> Choice:  # fmt: skip
    """The subtask of highest expected utility under ``goal_probs`` (over ``TASKS``).

    ``avoid`` gives, per object, the probability that the user is about to take it itself (its
    utility is scaled by one minus that).
    """
    subtasks = candidate_subtasks(world)
    if not subtasks:
        return Choice(None, 0.0)
    gains = savings(world, subtasks) @ goal_probs
    avoid = avoid or {}
    utility = np.array([
        gain * (1.0 - avoid.get(s[0], 0.0)) - effort_price * robot_seconds(world, s)
        for gain, s in zip(gains, subtasks, strict=True)
    ])  # fmt: skip
    best = int(np.argmax(utility))
    if utility[best] <= 0:
        return Choice(None, 0.0)
    return Choice(subtasks[best], float(utility[best]))


def value_of_question(
    world: World, goal_probs: np.ndarray, error_rate: float = 0.0,
    avoid: dict[str, float] | None = None,
) -> float:  # fmt: skip
    """Expected gain in utility from hearing the user name its task (with ``error_rate``)."""
    now = best_subtask(world, goal_probs, avoid).utility
    n = len(TASKS)
    err = min(max(error_rate, 0.0), 0.99)
    expected = 0.0
    for said in range(n):  # the answer names task `said`
        likelihood = np.full(n, err / (n - 1))
        likelihood[said] = 1.0 - err
        joint = goal_probs * likelihood
        p_said = joint.sum()
        if p_said > 1e-9:
            expected += p_said * best_subtask(world, joint / p_said, avoid).utility
    return expected - now


def value_of_confirmation(
    world: World, goal_probs: np.ndarray, avoid: dict[str, float] | None = None
) -> float:
    """Expected gain from a yes/no answer to "is your task the most likely one?"."""
    now = best_subtask(world, goal_probs, avoid).utility
    top = int(np.argmax(goal_probs))
    yes = np.zeros(len(TASKS))
    yes[top] = 1.0
    no = goal_probs.copy()
    no[top] = 0.0
    p_yes = float(goal_probs[top])
    after = p_yes * best_subtask(world, yes, avoid).utility
    if no.sum() > 1e-9:
        after += (1 - p_yes) * best_subtask(world, no / no.sum(), avoid).utility
    return after - now


def read_answer(text: str) -> str | None:
    """The task an answer names: the task whose description shares the most words with it."""
    words = set(text.lower().replace(".", " ").replace(",", " ").split())
    scores = [len(words & set(t.description.lower().split()) - {"the", "put", "and", "on", "in"})
              for t in TASKS]  # fmt: skip
    best = int(np.argmax(scores))
    tied = sum(s == scores[best] for s in scores) > 1
    return None if scores[best] == 0 or tied else TASK_NAMES[best]


@dataclass(frozen=True)
class Reply:
    """What an answer tells: ``kind`` ("task": it names one, "yes"/"no" to a confirmation,
    "place": only where things go, "none": nothing) and the tasks it leaves possible."""

    kind: str
    tasks: frozenset[str]

    @property
    def task(self) -> str | None:
        """The one task left (None: several or none)."""
        return next(iter(self.tasks)) if len(self.tasks) == 1 else None


def read_reply(text: str, confirms: str | None = None) -> Reply:
    """Read an answer to a question; ``confirms``: the task the question asked about (a
    confirmation), None for an open question. A named task wins; then a bare yes or no (to a
    confirmation); then a place named alone (the tasks with that target)."""
    named = read_answer(text)
    if named is not None:
        return Reply("task", frozenset({named}))
    words = text.lower().replace(".", " ").replace(",", " ").replace("!", " ").split()
    if confirms is not None and words and words[0] in ("yes", "no"):
        if confirms not in TASK_NAMES:
            raise ValueError(f"confirms={confirms!r}; valid: None, {', '.join(TASK_NAMES)}")
        if words[0] == "yes":
            return Reply("yes", frozenset({confirms}))
        return Reply("no", frozenset(TASK_NAMES) - {confirms})
    spoken = " ".join(words)
    places = [p for p in PLACES if p.replace("_", " ") in spoken]
    if len(places) == 1:
        return Reply("place", frozenset(t.name for t in TASKS if t.target == places[0]))
    return Reply("none", frozenset(TASK_NAMES))


def place_answer(target: str) -> str:
    """A terse answer that names only where things go ("It all goes in the bin.")."""
    where = "in" if target in CONTAINERS else "on"
    return f"It all goes {where} the {target.replace('_', ' ')}."
