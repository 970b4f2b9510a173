"""The symbolic household: places, objects, a lidded container, tasks, actions and plan costs.

A user (or the robot) stands at a *location*, holds at most one object and does one action at a
time: ``walk`` to a location, ``open`` a closed container it stands at, ``pick`` an object at its
place, ``put`` the held object at its place, or ``wait``. Costs are in seconds. ``plan_cost`` is
the cost of the best plan that reaches a task's goal under an agent's *belief* about where the
objects are; the Boltzmann policy of a user and the likelihood in the inverse planner both use
the action values built from it. The places lie where the household scene of ``scenes.library``
puts their furniture; the stand points beside them are this model's own.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from planning.shortest_path import shortest_plan
from scenes.library import HOUSEHOLD_SURFACES

# location -> (x, y) where the user stands to reach it; "hub" holds no objects
STAND: dict[str, tuple[float, float]] = {
    "hub": (0.0, 0.0),
    "kitchen_table": (1.2, 0.05),
    "coffee_table": (-1.3, -0.55),
    "shelf": (2.1, -1.2),
    "bin": (-2.0, 1.4),
}
# where the robot stands at the same location (beside the user, not on top of them)
ROBOT_STAND: dict[str, tuple[float, float]] = {
    "hub": (-0.6, -0.3),
    "kitchen_table": (0.5, 0.1),
    "coffee_table": (-0.6, -0.7),
    "shelf": (2.1, -0.45),
    "bin": (-1.35, 1.6),
}
PLACES: tuple[str, ...] = ("kitchen_table", "coffee_table", "shelf", "bin")
# the middle of each place's furniture, from the scene (objects there lie within PLACE_RADIUS)
PLACE_CENTERS: dict[str, tuple[float, float]] = {p: HOUSEHOLD_SURFACES[p][:2] for p in PLACES}
PLACE_RADIUS = 0.7
CONTAINERS: tuple[str, ...] = ("bin",)  # closed (lidded) until someone opens it
OBJECTS: tuple[str, ...] = ("mug", "apple", "book", "can", "block")
AGENTS: tuple[str, ...] = ("user", "robot")

WALK_SPEED = 0.8  # m/s
ACTION_SECONDS = {"open": 1.0, "pick": 1.0, "put": 1.0, "wait": 0.5}
WAIT_PENALTY = 1.5  # seconds: idling while work is left is a poor action
UNKNOWN = "?"  # a belief: the agent does not know where the object is


@dataclass(frozen=True)
class UserTask:
    """A hidden goal: every object of ``objects`` must end up at ``target``."""

    name: str
    objects: tuple[str, ...]
    target: str

    @property
    def description(self) -> str:
        """In words, e.g. "put the mug and the apple on the coffee table"."""
        things = " and ".join(f"the {o}" for o in self.objects)
        where = "in" if self.target in CONTAINERS else "on"
        return f"put {things} {where} the {self.target.replace('_', ' ')}"

    @property
    def predicates(self) -> tuple[tuple[str, str], ...]:
        return tuple((o, self.target) for o in self.objects)


TASKS: tuple[UserTask, ...] = (
    UserTask("serve_breakfast", ("mug", "apple"), "coffee_table"),
    UserTask("stock_shelf", ("apple", "can"), "shelf"),
    UserTask("tidy_toys", ("book", "block"), "shelf"),
    UserTask("recycle", ("can", "mug"), "bin"),
    UserTask("study_desk", ("book", "mug"), "kitchen_table"),
    UserTask("kitchen_prep", ("block", "apple"), "kitchen_table"),
    UserTask("clear_clutter", ("apple", "book"), "bin"),
    UserTask("game_night", ("block", "can"), "coffee_table"),
)
TASK_NAMES: tuple[str, ...] = tuple(t.name for t in TASKS)
# no (object, target) pair belongs to two tasks: one delivered object tells the task


def task(name: str) -> UserTask:
    """The task called ``name``; an unknown name lists the valid ones."""
    for t in TASKS:
        if t.name == name:
            return t
    raise KeyError(f"unknown task {name!r}; valid: {', '.join(TASK_NAMES)}")


Action = tuple[
    str, ...
]  # ("walk", location) | ("open", container) | ("pick", obj) | ("put",) | ("wait",)
WAIT: Action = ("wait",)


@dataclass(frozen=True)
class World:
    """The true symbolic state: each object's place (or the agent holding it), where each agent
    stands, which containers are open."""

    where: tuple[str, ...]  # per OBJECTS: a place, "user" or "robot"
    at: tuple[str, str]  # locations of (user, robot)
    open: frozenset[str] = frozenset()

    def location(self, agent: str) -> str:
        return self.at[AGENTS.index(agent)]

    def held_by(self, agent: str) -> str | None:
        return next((o for o, w in zip(OBJECTS, self.where, strict=True) if w == agent), None)

    def place_of(self, obj: str) -> str:
        return self.where[OBJECTS.index(obj)]

    def visible_at(self, location: str) -> tuple[str, ...]:
        """Objects an agent standing at ``location`` sees (none inside a closed container)."""
        if location in CONTAINERS and location not in self.open:
            return ()
        return tuple(o for o, w in zip(OBJECTS, self.where, strict=True) if w == location)

    def satisfied(self, t: UserTask) -> bool:
        return all(self.place_of(o) == t.target for o in t.objects)

    def legal_actions(self, agent: str) -> list[Action]:
        """What ``agent`` can do now."""
        here, held = self.location(agent), self.held_by(agent)
        actions: list[Action] = [("walk", p) for p in PLACES if p != here]  # "hub" is a start
        if here in CONTAINERS and here not in self.open:
            actions.append(("open", here))
        elif here in PLACES:
            if held is None:
                actions += [("pick", o) for o in self.visible_at(here)]
            else:
                actions.append(("put",))
        return [*actions, WAIT]

    def apply(self, agent: str, action: Action) -> World:
        """The state after ``agent`` finishes ``action`` (which must be legal)."""
        kind, index = action[0], AGENTS.index(agent)
        if kind == "walk":
            at = list(self.at)
            at[index] = action[1]
            return replace(self, at=(at[0], at[1]))
        if kind == "open":
            return replace(self, open=self.open | {action[1]})
        if kind == "pick":
            return self._move(action[1], agent)
        if kind == "put":
            held = self.held_by(agent)
            if held is None:
                raise ValueError(f"{agent} holds nothing to put")
            return self._move(held, self.location(agent))
        return self

    def _move(self, obj: str, to: str) -> World:
        where = list(self.where)
        where[OBJECTS.index(obj)] = to
        return replace(self, where=tuple(where))


def robot_step_towards(world: World, obj: str, target: str) -> Action:
    """The robot's next command to bring ``obj`` to ``target`` (walk, open a closed container,
    pick, put)."""
    here = world.location("robot")
    holding = world.held_by("robot") == obj
    goal_place = target if holding else world.place_of(obj)
    if here != goal_place:
        return ("walk", goal_place)
    if here in CONTAINERS and here not in world.open:
        return ("open", here)
    return ("put",) if holding else ("pick", obj)


def distance(a: str, b: str) -> float:
    (ax, ay), (bx, by) = STAND[a], STAND[b]
    return math.hypot(ax - bx, ay - by)


def duration(action: Action, here: str) -> float:
    """Seconds ``action`` takes from location ``here``."""
    if action[0] == "walk":
        return distance(here, action[1]) / WALK_SPEED
    return ACTION_SECONDS[action[0]]


Belief = tuple[str, ...]  # per OBJECTS: the believed place, an agent name, or UNKNOWN


def initial_belief(world: World) -> Belief:
    """What someone who has looked around the room knows: every object not in a closed container."""
    seen = {o for place in PLACES for o in world.visible_at(place)}
    return tuple(w if o in seen else UNKNOWN for o, w in zip(OBJECTS, world.where, strict=True))


def look(belief: Belief, world: World, agent: str) -> Belief:
    """``belief`` after ``agent`` looks around where it stands: what it sees (and holds) is
    known; what it expected here but does not see becomes unknown (unless the container it would
    be in is closed)."""
    here = world.location(agent)
    visible = world.visible_at(here)
    closed = here in CONTAINERS and here not in world.open
    updated = []
    for obj, believed, actual in zip(OBJECTS, belief, world.where, strict=True):
        if obj in visible or actual == agent:
            updated.append(actual)
        elif believed == here and not closed:
            updated.append(UNKNOWN)
        else:
            updated.append(believed)
    return tuple(updated)


def open_seconds(place: str, opened: set[str]) -> float:
    """Seconds to open ``place`` on arrival: a closed container's opening (it is then added to
    ``opened``), else none."""
    if place in CONTAINERS and place not in opened:
        opened.add(place)
        return ACTION_SECONDS["open"]
    return 0.0


def fetch_seconds(here: str, source: str, target: str, opened: set[str]) -> float:
    """Walk to ``source``, open it if needed, pick, walk to ``target``, open it if needed, put."""
    cost = distance(here, source) / WALK_SPEED + ACTION_SECONDS["pick"]
    for place in (source, target):
        cost += open_seconds(place, opened)
    return cost + distance(source, target) / WALK_SPEED + ACTION_SECONDS["put"]


def search_place(here: str, opened: frozenset[str] | set[str]) -> str:
    """Where an agent looks for an object it has lost track of: the nearest closed container,
    else the nearest place."""
    closed = [c for c in CONTAINERS if c not in opened]
    return min(closed or PLACES, key=lambda p: distance(here, p))


def _fetch_step(
    obj: str, belief: Belief, goal: UserTask, here: str, opened: frozenset[str]
) -> tuple[float, str, frozenset[str]]:
    """Seconds to bring ``obj`` to the goal's target from ``here``, where the agent ends up,
    and the containers then open. An object the other agent holds is waited for (a fixed
    delay); an unknown one is looked for with :func:`search_place`."""
    source = belief[OBJECTS.index(obj)]
    if source in AGENTS:
        return 3.0 + distance(here, goal.target) / WALK_SPEED, goal.target, opened
    if source == UNKNOWN:
        source = search_place(here, opened)
    now_open = set(opened)
    cost = fetch_seconds(here, source, goal.target, now_open)
    return cost, goal.target, frozenset(now_open)


def plan_cost(world: World, agent: str, belief: Belief, goal: UserTask) -> float:
    """Seconds of the best plan by which ``agent`` reaches ``goal`` if ``belief`` is right.

    Objects the belief puts at the target are done; the order of the others is planned by the
    planning core's uniform-cost search over (place, objects left, open containers).
    """
    here, held = world.location(agent), world.held_by(agent)
    todo = [o for o in goal.objects if belief[OBJECTS.index(o)] != goal.target and o != held]
    cost, opened = 0.0, set(world.open)
    if held is not None:  # put what is in hand first: at the target, or back down here
        dest = (
            goal.target if held in goal.objects else (here if here in PLACES else "kitchen_table")
        )
        cost += distance(here, dest) / WALK_SPEED + ACTION_SECONDS["put"]
        cost += open_seconds(dest, opened)
        here = dest
    if not todo:
        return cost

    def successors(state: tuple[str, frozenset[str], frozenset[str]]):
        loc, left, now_open = state
        for obj in left:
            step, after, still_open = _fetch_step(obj, belief, goal, loc, now_open)
            yield obj, (after, left - {obj}, still_open), step

    plan = shortest_plan(
        (here, frozenset(todo), frozenset(opened)), successors, lambda state: not state[1]
    )
    return math.inf if plan is None else cost + plan.cost


def believed_world(world: World, agent: str, belief: Belief) -> World:
    """``world`` with object places replaced by ``belief`` (held objects stay held)."""
    where = tuple(w if w == agent else b for w, b in zip(world.where, belief, strict=True))
    return replace(world, where=where)


def action_values(
    world: World, agent: str, belief: Belief, goal: UserTask
) -> tuple[list[Action], np.ndarray]:
    """Legal actions of ``agent`` and their values −(duration + cost to go) under ``belief``.

    The legal actions are those of the real ``world``; the cost to go after each is computed in
    the world the agent believes in (what it sees at its location is assumed already known).
    """
    actions = world.legal_actions(agent)
    imagined = believed_world(world, agent, belief)
    here = world.location(agent)
    values = np.empty(len(actions))
    for i, action in enumerate(actions):
        after = imagined.apply(agent, action)
        nb = after.where
        q = duration(action, here) + plan_cost(after, agent, nb, goal)
        values[i] = -q - (WAIT_PENALTY if action == WAIT else 0.0)
    return actions, values


def boltzmann(values: np.ndarray, rationality: float, noise: float) -> np.ndarray:
    """π(a) = (1 − noise)·softmax(rationality · values) + noise / |A|."""
    z = rationality * (values - values.max())
    p = np.exp(z)
    p /= p.sum()
    return (1.0 - noise) * p + noise / len(values)


# The commands an agent can give, as one discrete action space (walks, open, picks, put, wait).
COMMANDS: tuple[Action, ...] = (
    *(("walk", p) for p in PLACES),
    *(("open", c) for c in CONTAINERS),
    *(("pick", o) for o in OBJECTS),
    ("put",),
    WAIT,
)


def command_index(action: Action) -> int:
    """Index of ``action`` in :data:`COMMANDS`."""
    try:
        return COMMANDS.index(tuple(action))
    except ValueError:
        raise ValueError(f"unknown action {action!r}; valid: {COMMANDS}") from None
