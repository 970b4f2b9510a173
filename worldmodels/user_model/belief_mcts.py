"""Belief-space planning for the helper with the planning core's MCTS and determinized rollouts.

A decision searches over the robot's skill actions — go to a place, open, pick, place (put),
ask the user, wait — with :class:`planning.MCTS`, the policy the research agent searches
solutions with. A tree node is an open-loop plan prefix (the skills from now on). Each
expansion is one simulation: a (task, belief) particle of the user model's filter is drawn by
its weight (the determinization), the user acts on it Boltzmann-rationally (the model's own
policy, as the inverse planner predicts it), the robot does the prefix and then a rollout
policy that knows only what it would know by then (the posterior at the root, sharpened by
the answer to a question and by the user's picks and puts), until the task is done. The score
is minus the seconds that takes. A question makes the user stop for ``ask_seconds`` before its
next action — cheap while it is walking, dear when it is about to start one — and the tree
weighs that against the time the answer saves. Besides asking now, the robot can defer the
question to the user's next walk with at least ``ask_busy_seconds`` left
(:data:`ASK_WHEN_BUSY`): the robot may talk while it moves, so the question then fires at that
tick whatever the robot is doing. At the start the user stands idle and a question there stops
it for the whole pause; deferred, the pause overlaps the walk.

``value_fn`` (MCTS's hook) is a remaining-cost heuristic: the seconds of the prefix plus the
best split of the task's remaining fetches between user and robot (:func:`remaining_seconds`).
Progressive widening adds children in the order of a prior (the rollout policy's action first,
then asking now and at the next walk, waiting, and the moves towards the objects most likely
needed), and the domain's ``max_children`` stops the tree at the actions that exist.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from planning.budget import Budget
from planning.domain import Expansion, ExpansionJob
from planning.mcts import MCTS, MCTSConfig
from planning.tree import SearchTree
from worldmodels.user_model.household import (
    ACTION_SECONDS,
    OBJECTS,
    PLACES,
    STAND,
    TASKS,
    WAIT,
    WALK_SPEED,
    Action,
    Belief,
    UserTask,
    World,
    distance,
    duration,
    look,
    open_seconds,
    robot_step_towards,
)

ASK: Action = ("ask",)
ASK_WHEN_BUSY: Action = ("ask", "when_busy")  # ask at the user's next walk (see the module doc)
Policy = Callable[[World, Belief, int], tuple[list[Action], np.ndarray]]
PICK_EVIDENCE = 0.3  # likelihood of a pick of an object outside a task, relative to one inside
PUT_EVIDENCE = 0.05  # the same for a put at a place that is not the task's target for it
GOLDEN = (math.sqrt(5.0) - 1.0) / 2.0
MAX_USER_CHOICES = 256


@dataclass(frozen=True)
class UserActivity:
    """What the user is doing at the decision: ``action``, done in ``seconds``."""

    action: Action
    seconds: float


@dataclass(frozen=True)
class Situation:
    """The root of one decision: the robot's view of the world and of the user's mind.

    ``tasks``/``beliefs``/``weights``: the particles of the user model; ``goal_probs``: the
    posterior over ``TASKS``; ``user_activity``: the user's action in progress (None: idle);
    ``pause_seconds``: how long the user still stops for a question already asked;
    ``ask_pending``: a question waits for the user's next walk (:data:`ASK_WHEN_BUSY`).
    """

    world: World
    tasks: np.ndarray
    beliefs: tuple[Belief, ...]
    weights: np.ndarray
    goal_probs: np.ndarray
    user_activity: UserActivity | None = None
    pause_seconds: float = 0.0
    questions_left: int = 1
    ask_pending: bool = False

    def __post_init__(self) -> None:
        n = len(self.tasks)
        if n == 0 or len(self.beliefs) != n or len(self.weights) != n:
            raise ValueError(
                f"tasks, beliefs and weights must be non-empty and equally long, got "
                f"{n}, {len(self.beliefs)}, {len(self.weights)}"
            )


@dataclass(frozen=True)
class SimulationSettings:
    """The rules of a simulation: control tick, question pause and answer error the helper
    assumes, the rollout robot's confidence to act, the simulated horizon, and how busy the
    user must be (a fraction of the pause) for the rollout robot to ask (None: it never asks;
    the default: with 0.5 the helper's gain fell from 0.78 to 0.71 of the oracle's, 24 seeds),
    and ``ask_busy_seconds``: the walk time left at which a question deferred with
    :data:`ASK_WHEN_BUSY` is asked."""

    dt: float = 0.1
    ask_seconds: float = 3.0
    answer_error: float = 0.05
    confidence: float = 0.6
    horizon_seconds: float = 60.0
    ask_when_busy: float | None = None
    ask_busy_seconds: float = 2.0

    def ticks(self, seconds: float) -> int:
        """Ticks an action of ``seconds`` takes (as the env rounds it)."""
        return max(1, round(seconds / self.dt))


def _fetch_seconds(here: str, obj: str, world: World, target: str, opened: set[str]) -> float:
    """Seconds for an agent at ``here`` with empty hands to bring ``obj`` to ``target``
    (:func:`~worldmodels.user_model.household.fetch_seconds`'s sum, added in another order: the
    helper's values stay as measured to the last bit)."""
    source = world.place_of(obj)
    seconds = (distance(here, source) + distance(source, target)) / WALK_SPEED
    seconds += ACTION_SECONDS["pick"] + ACTION_SECONDS["put"]
    for place in (source, target):
        seconds += open_seconds(place, opened)
    return seconds


def _agent_seconds(world: World, agent: str, objects: Sequence[str], goal: UserTask) -> float:
    """Seconds for ``agent`` alone to finish its hand and then fetch ``objects`` (best order)."""
    here, held = world.location(agent), world.held_by(agent)
    start, opened = 0.0, set(world.open)
    if held is not None:
        dest = goal.target if held in goal.objects else here
        start = distance(here, dest) / WALK_SPEED + ACTION_SECONDS["put"]
        start += open_seconds(dest, opened)
        here = dest
    if not objects:
        return start
    best = math.inf
    for order in itertools.permutations(objects):
        seconds, at, now_open = start, here, set(opened)
        for obj in order:
            seconds += _fetch_seconds(at, obj, world, goal.target, now_open)
            at = goal.target
        best = min(best, seconds)
    return best


def remaining_seconds(world: World, goal: UserTask) -> float:
    """A heuristic of the seconds user and robot together still need for ``goal``: the best
    split of the remaining objects between them, each agent's share fetched in its best order
    from where it stands (objects in a hand are put down first), the slower agent counting."""
    held = {world.held_by(a) for a in ("user", "robot")}
    left = [o for o in goal.objects if world.place_of(o) != goal.target and o not in held]
    if world.satisfied(goal):
        return 0.0
    best = math.inf
    for mask in itertools.product((0, 1), repeat=len(left)):
        robot = [o for o, m in zip(left, mask, strict=True) if m]
        user = [o for o, m in zip(left, mask, strict=True) if not m]
        best = min(best, max(_agent_seconds(world, "user", user, goal),
                             _agent_seconds(world, "robot", robot, goal)))  # fmt: skip
    return best


def update_knowledge(probs: np.ndarray, world: World, action: Action) -> np.ndarray:
    """The robot's goal probabilities after seeing the user complete ``action`` in ``world``
    (the world before it): picks favour tasks with the object, puts tasks with that target."""
    if action[0] == "pick":
        like = np.array([1.0 if action[1] in t.objects else PICK_EVIDENCE for t in TASKS])
    elif action[0] == "put":
        held, here = world.held_by("user"), world.location("user")
        like = np.array([1.0 if (held, here) in t.predicates else PUT_EVIDENCE for t in TASKS])
    else:
        return probs
    out = probs * like
    return out / out.sum() if out.sum() > 0 else probs


def hear_answer(probs: np.ndarray, said: int, error: float) -> np.ndarray:
    """The goal probabilities after the user names task ``said`` (wrong with ``error``)."""
    err = min(max(error, 0.01), 0.99)
    like = np.full(len(TASKS), err / (len(TASKS) - 1))
    like[said] = 1.0 - err
    out = probs * like
    return out / out.sum()


def _user_place(world: World, user_action: Action | None) -> str | None:
    """Where the user is about to pick something: where it walks to, or where it stands with
    empty hands (None: nowhere)."""
    if user_action is not None and user_action[0] == "walk":
        return user_action[1]
    if world.held_by("user") is None and world.location("user") in PLACES:
        return world.location("user")
    return None


def rollout_action(
    world: World, probs: np.ndarray, user_action: Action | None, confidence: float
) -> Action:
    """The rollout robot: carry what it holds to the likely target; once one task has
    ``confidence``, fetch its nearest remaining object the user is not about to take (where
    the user goes, or stands empty-handed, it takes one of the task's objects: the robot
    goes there only for a second one); otherwise wait."""
    held = world.held_by("robot")
    top = TASKS[int(np.argmax(probs))]
    if held is not None:
        tasks = [(p, t) for p, t in zip(probs, TASKS, strict=True) if held in t.objects]
        target = max(tasks, key=lambda pt: pt[0])[1].target if tasks else world.location("robot")
        if target not in PLACES:
            target = PLACES[0]
        return robot_step_towards(world, held, target)
    if probs.max() < confidence:
        return WAIT
    left = [o for o in top.objects
            if world.place_of(o) in PLACES and world.place_of(o) != top.target]  # fmt: skip
    user_place = _user_place(world, user_action)
    if sum(world.place_of(o) == user_place for o in left) == 1:
        left = [o for o in left if world.place_of(o) != user_place]
    if not left:
        return WAIT
    here = world.location("robot")
    obj = min(left, key=lambda o: distance(here, world.place_of(o)))
    return robot_step_towards(world, obj, top.target)


@dataclass
class _Agent:
    """An agent's action in progress in a simulation: ``action`` until tick ``end``."""

    action: Action | None = None
    end: int = 0


@dataclass
class _Run:
    """The state of one simulation."""

    world: World
    belief: Belief  # the sampled user's
    probs: np.ndarray  # the robot's goal probabilities
    questions: int
    choices: np.ndarray  # the user's k-th choice draws choices[k]
    answer_draw: float
    user: _Agent = field(default_factory=_Agent)
    robot: _Agent = field(default_factory=_Agent)
    user_free: int = 0  # the user starts nothing before this tick (a question's pause)
    user_choices: int = 0
    ask_pending: bool = False  # a question waits for the user's next walk


@dataclass(frozen=True)
class Outcome:
    """One simulation: ticks until the task was done (or the horizon plus the heuristic rest),
    and the heuristic estimate at the end of the prefix (ticks)."""

    ticks: float
    done: bool
    prefix_estimate: float


class HelpingSimulator:
    """Simulates user and robot in ticks as the helping env does: the robot starts before the
    user each tick, an illegal command becomes a wait, an action that turned illegal while it
    ran is wasted, a question delays the user's next start by ``ask_seconds``. The k-th choice
    of the user draws the k-th number of its stream, so the same sampled user acts alike in
    every branch of the tree as long as its situation is alike (common random numbers)."""

    def __init__(self, user_policy: Policy, settings: SimulationSettings) -> None:
        self.user_policy, self.settings = user_policy, settings

    def simulate(
        self, situation: Situation, particle: int, prefix: Sequence[Action],
        rng: np.random.Generator,
    ) -> Outcome:  # fmt: skip
        """Run ``prefix`` then the rollout policy against particle ``particle``."""
        s = self.settings
        goal_index = int(situation.tasks[particle])
        goal = TASKS[goal_index]
        run = _Run(situation.world, situation.beliefs[particle],
                   situation.goal_probs.astype(float), situation.questions_left,
                   rng.random(MAX_USER_CHOICES), float(rng.random()))  # fmt: skip
        if situation.user_activity is not None:
            run.user = _Agent(situation.user_activity.action,
                              s.ticks(situation.user_activity.seconds))  # fmt: skip
        run.user_free = round(situation.pause_seconds / s.dt)
        run.ask_pending = situation.ask_pending and run.questions > 0
        horizon, t, step = s.ticks(s.horizon_seconds), 0, 0
        estimate = None if prefix else remaining_seconds(run.world, goal) / s.dt
        while t <= horizon:
            self._complete(run, t)
            if run.world.satisfied(goal):
                return Outcome(t, True, t if estimate is None else estimate)
            while run.robot.action is None:  # the robot decides first
                if step < len(prefix):
                    action, step = prefix[step], step + 1
                else:
                    if estimate is None:
                        estimate = t + remaining_seconds(run.world, goal) / s.dt
                    action = self._rollout(run, t)
                if action == ASK:
                    self._ask(run, goal_index, t)
                elif action == ASK_WHEN_BUSY:
                    run.ask_pending = run.questions > 0
                else:
                    self._start(run, "robot", action, t)
            if run.user.action is None and t >= run.user_free:
                actions, p = self.user_policy(run.world, run.belief, goal_index)
                draw = run.choices[run.user_choices % MAX_USER_CHOICES]
                index = min(int(np.searchsorted(np.cumsum(p), draw)), len(actions) - 1)
                run.user_choices += 1
                self._start(run, "user", actions[index], t)
            if run.ask_pending and self._user_walks_long(run, t):  # seen a tick later
                self._ask(run, goal_index, t + 1)
            user_next = run.user.end if run.user.action is not None else run.user_free
            t = max(t + 1, min(run.robot.end, user_next))
        rest = remaining_seconds(run.world, goal) / s.dt
        return Outcome(horizon + rest, False, horizon + rest if estimate is None else estimate)

    def _rollout(self, run: _Run, t: int) -> Action:
        """The rollout policy: :func:`rollout_action`, and, with ``ask_when_busy`` set, while
        no task has ``confidence`` and a question is left, ask once the user is busy for at
        least that fraction of the question's pause (then the pause costs it little)."""
        s = self.settings
        if s.ask_when_busy is None:
            return rollout_action(run.world, run.probs, run.user.action, s.confidence)
        busy = (run.user.end - t) * s.dt if run.user.action is not None else 0.0
        unsure = run.questions > 0 and run.probs.max() < s.confidence
        if unsure and busy >= s.ask_when_busy * s.ask_seconds:
            return ASK
        return rollout_action(run.world, run.probs, run.user.action, s.confidence)

    def _user_walks_long(self, run: _Run, t: int) -> bool:
        """Whether the user walks with at least ``ask_busy_seconds`` left after this tick (a
        walk is what the robot sees from the user's pose)."""
        user = run.user
        if user.action is None or user.action[0] != "walk":
            return False
        return (user.end - t - 1) * self.settings.dt >= self.settings.ask_busy_seconds - 1e-9

    def _start(self, run: _Run, agent: str, action: Action, t: int) -> None:
        if action not in run.world.legal_actions(agent):
            action = WAIT  # as the env does with an illegal command
        seconds = duration(action, run.world.location(agent))
        setattr(run, agent, _Agent(action, t + self.settings.ticks(seconds)))

    def _complete(self, run: _Run, t: int) -> None:
        """Finish the actions that end at ``t``, the user's first (as the env does)."""
        user, robot = run.user, run.robot
        if user.action is not None and user.end <= t:
            if user.action in run.world.legal_actions("user"):
                run.probs = update_knowledge(run.probs, run.world, user.action)
                run.world = run.world.apply("user", user.action)
            run.belief = look(run.belief, run.world, "user")
            run.user = _Agent()
        if robot.action is not None and robot.end <= t:
            if robot.action in run.world.legal_actions("robot"):
                held = run.world.held_by("robot")
                run.world = run.world.apply("robot", robot.action)
                if robot.action[0] == "put" and held is not None:  # the robot says so
                    k = OBJECTS.index(held)
                    place = run.world.location("robot")
                    run.belief = (*run.belief[:k], place, *run.belief[k + 1 :])
            run.robot = _Agent()

    def _ask(self, run: _Run, goal_index: int, t: int) -> None:
        """The robot asks (if questions are left): the user names its task, wrongly with the
        assumed ``answer_error``, and starts nothing for ``ask_seconds``."""
        if run.questions <= 0:
            return
        s, n = self.settings, len(TASKS)
        run.questions -= 1
        run.ask_pending = False
        said = goal_index
        if run.answer_draw < s.answer_error:  # which wrong task: the rest of the same draw
            offset = int(run.answer_draw / s.answer_error * (n - 1))
            said = (goal_index + 1 + min(offset, n - 2)) % n
        run.probs = hear_answer(run.probs, said, s.answer_error)
        run.user_free = max(run.user_free, t + s.ticks(s.ask_seconds))


@dataclass(frozen=True)
class PlanNode:
    """The payload of a tree node: a plan prefix, the ticks its simulation took and the
    heuristic estimate at the end of the prefix, both less the ticks of the rollout policy
    alone in the same scenario (:meth:`BeliefSpaceDomain.reference`), and which sample of the
    prefix it is."""

    actions: tuple[Action, ...]
    ticks: float
    prefix_estimate: float
    sample: int = 0  # 0: the prefix's first simulation; k: its k-th resample


def robot_only(world: World, actions: Sequence[Action]) -> World:
    """``world`` after the robot's ``actions`` alone (illegal ones and questions skipped)."""
    for action in actions:
        if action != ASK and action in world.legal_actions("robot"):
            world = world.apply("robot", action)
    return world


def _need(probs: np.ndarray, world: World) -> dict[str, float]:
    """P(object o still has to move) for each object lying at a place."""
    need = dict.fromkeys(OBJECTS, 0.0)
    for p, t in zip(probs, TASKS, strict=True):
        for obj in t.objects:
            if world.place_of(obj) in PLACES and world.place_of(obj) != t.target:
                need[obj] += float(p)
    return need


def candidate_actions(
    situation: Situation, prefix: tuple[Action, ...], confidence: float = 0.6
) -> list[Action]:
    """The robot's commands after ``prefix`` (in the world where only the robot moved),
    in the order progressive widening adds them: the rollout policy's choice, asking now and
    asking at the user's next walk (while questions are left), then the rest by how likely
    they serve the task; waiting comes fourth at the root, last deeper in the tree."""
    world = robot_only(situation.world, prefix)
    probs = situation.goal_probs
    activity = situation.user_activity
    first = rollout_action(world, probs, activity.action if activity else None, confidence)
    asked = sum(a in (ASK, ASK_WHEN_BUSY) for a in prefix)
    need = _need(probs, world)

    def prior(action: Action) -> float:
        if action[0] == "pick":
            return need[action[1]]
        if action[0] == "walk":
            here = [need[o] for o in world.visible_at(action[1])] or [0.0]
            held = world.held_by("robot")
            to_target = sum(float(p) for p, t in zip(probs, TASKS, strict=True)
                            if held in t.objects and t.target == action[1])  # fmt: skip
            return max(max(here), to_target)
        return 0.5  # put, open

    rest = sorted((a for a in world.legal_actions("robot") if a not in (first, WAIT)),
                  key=prior, reverse=True)  # fmt: skip
    ordered = [first]
    if situation.questions_left - asked > 0:
        ordered.append(ASK)
        if not situation.ask_pending:
            ordered.append(ASK_WHEN_BUSY)
    later = (WAIT, *rest) if not prefix else (*rest, WAIT)  # waiting again: rarely the best
    ordered += [a for a in later if a not in ordered]
    return ordered


class BeliefSpaceDomain:
    """The helping decision as a :class:`planning.domain.SearchDomain` for MCTS: "draft" adds a
    first skill, "improve" appends one to its parent's prefix (up to ``max_depth`` skills; a
    full-depth prefix is improved by simulating it again, a chain of resamples, so its
    estimate sharpens where UCT sends the visits); each node is scored by one
    determinized simulation: minus its ticks, plus those of the rollout policy alone in the
    same scenario (:meth:`reference`)."""

    def __init__(
        self, situation: Situation, simulator: HelpingSimulator, max_depth: int = 1, seed: int = 0
    ) -> None:
        if max_depth < 1:
            raise ValueError(f"max_depth={max_depth} must be >= 1")
        self.situation, self.simulator, self.max_depth = situation, simulator, max_depth
        self._candidates: dict[tuple[Action, ...], list[Action]] = {}
        self._proposed: dict[tuple[Action, ...], int] = {}
        self._cdf = np.cumsum(situation.weights / situation.weights.sum())
        self._references: dict[int, float] = {}
        self._seed, self._u0 = seed, float(np.random.default_rng(seed).random())
        self._scenarios: dict[Action, int] = {}  # simulations so far under each first action

    def candidates(self, prefix: tuple[Action, ...]) -> list[Action]:
        if prefix not in self._candidates:
            confidence = self.simulator.settings.confidence
            self._candidates[prefix] = candidate_actions(self.situation, prefix, confidence)
        return self._candidates[prefix]

    def max_children(self, payload: PlanNode | None) -> int:
        """A full-depth prefix has one child, its next resample; others one per candidate."""
        if payload is not None and len(payload.actions) >= self.max_depth:
            return 1
        return len(self.candidates(() if payload is None else payload.actions))

    def scenario(self, n: int) -> tuple[int, int]:
        """Scenario ``n``: a particle and a seed for the simulation's random stream. The n-th
        simulation under every first action plays scenario n (common random numbers: the
        root's actions are compared on the same sampled users). Particles follow a golden-ratio
        sequence over the weights' CDF, so goals are covered in proportion to their weight."""
        u = (self._u0 + n * GOLDEN) % 1.0
        return min(int(np.searchsorted(self._cdf, u)), len(self._cdf) - 1), n

    def _simulate(self, n: int, actions: tuple[Action, ...]) -> Outcome:
        particle, stream = self.scenario(n)
        rng = np.random.default_rng([self._seed, stream])
        return self.simulator.simulate(self.situation, particle, actions, rng)

    def reference(self, n: int) -> float:
        """Ticks of scenario ``n`` with the rollout policy from the root: subtracted from each
        simulation of the scenario, so a node's value is its advantage over the rollout policy
        (a control variate: the user's noise and the sampled goal mostly cancel)."""
        if n not in self._references:
            self._references[n] = self._simulate(n, ()).ticks
        return self._references[n]

    def expand(self, job: ExpansionJob) -> Expansion:
        parent: PlanNode | None = job.parents[0].payload if job.parents else None
        prefix = () if parent is None else parent.actions
        if len(prefix) >= self.max_depth:  # a full-depth prefix: simulate it once more
            actions, sample = prefix, parent.sample + 1  # type: ignore[union-attr]
        else:
            k = self._proposed.get(prefix, 0)
            options = self.candidates(prefix)
            if k >= len(options):
                return Expansion.failure(f"{prefix} has only {len(options)} children")
            self._proposed[prefix] = k + 1
            actions, sample = (*prefix, options[k]), 0
        n = self._scenarios.get(actions[0], 0)
        self._scenarios[actions[0]] = n + 1
        outcome, base = self._simulate(n, actions), self.reference(n)
        node = PlanNode(actions, outcome.ticks - base, outcome.prefix_estimate - base, sample)
        return Expansion(node, base - outcome.ticks, info={"scenario": n})


@dataclass(frozen=True)
class PlannerSettings:
    """MCTS settings of the helper: simulations per decision, tree depth, UCT constant,
    progressive widening (``pw_k`` None: off, every action at once), ``value_weight`` of the
    remaining-cost heuristic in the backed-up value."""

    simulations: int = 96
    max_depth: int = 1
    uct_c: float = 0.5
    pw_k: float | None = 1.5
    pw_alpha: float = 0.5
    value_weight: float = 0.0
    max_weight: float = 0.0

    def __post_init__(self) -> None:
        if self.simulations < 1:
            raise ValueError(f"simulations={self.simulations} must be >= 1")


@dataclass
class Decision:
    """What the planner chose: the action, the most visited plan, per root action its visits
    and mean simulated seconds more than the rollout policy alone needs (lower is
    better), the number of simulations."""

    action: Action
    plan: tuple[Action, ...]
    root: dict[str, tuple[int, float]] = field(default_factory=dict)
    simulations: int = 0


def describe(action: Action) -> str:
    """An action in words: "go to shelf", "pick mug", "place", "ask", "wait", "open bin"."""
    verbs = {"walk": "go to", "pick": "pick", "put": "place", "open": "open"}
    return " ".join([verbs.get(action[0], action[0]), *action[1:]])


def _best_child(tree: SearchTree, ids: list[int]) -> int:
    return max(ids, key=lambda i: (tree[i].visits, tree[i].q_value))


def plan(
    situation: Situation, simulator: HelpingSimulator, settings: PlannerSettings, seed: int
) -> Decision:
    """Search the helper's next skill with ``planning.MCTS`` (see the module doc)."""
    domain = BeliefSpaceDomain(situation, simulator, settings.max_depth, seed)
    dt = simulator.settings.dt
    config = MCTSConfig(seed=seed, uct_c=settings.uct_c, num_children=64, pw_k=settings.pw_k,
                        pw_alpha=settings.pw_alpha, value_weight=settings.value_weight,
                        max_weight=settings.max_weight)  # fmt: skip
    value_fn = lambda node: -node.prefix_estimate  # noqa: E731
    mcts = MCTS(config, value_fn=value_fn if settings.value_weight > 0 else None)
    tree = mcts.run(domain, Budget(max_steps=settings.simulations))
    roots = [n.id for n in tree.draft_nodes()]
    best = _best_child(tree, roots)
    node = tree[best]
    while True:  # the most visited line of skills (resamples add no skill)
        longer = len(node.payload.actions) + 1
        kids = [c for c in node.children if len(tree[c].payload.actions) == longer]
        if not kids or tree[_best_child(tree, kids)].visits < 2:
            break
        node = tree[_best_child(tree, kids)]
    root = {describe(tree[i].payload.actions[0]): (tree[i].visits, -tree[i].q_value * dt)
            for i in roots}  # fmt: skip
    return Decision(tree[best].payload.actions[0], node.payload.actions, root, len(tree))


def user_activity_from_pose(
    world: World, pose: Sequence[float], tolerance: float = 0.05
) -> UserActivity | None:
    """The user's walk in progress from its floor pose (x, y, yaw): towards the stand its
    heading points at, done in the distance left / walking speed; None when it stands."""
    x, y, yaw = (float(v) for v in pose[:3])
    if any(math.hypot(x - sx, y - sy) < tolerance for sx, sy in STAND.values()):
        return None
    here = world.location("user")

    def alignment(place: str) -> float:
        sx, sy = STAND[place]
        return math.cos(math.atan2(sy - y, sx - x) - yaw)

    dest = max((p for p in PLACES if p != here), key=alignment)
    sx, sy = STAND[dest]
    return UserActivity(("walk", dest), math.hypot(sx - x, sy - y) / WALK_SPEED)
