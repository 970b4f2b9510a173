"""Bayesian inverse planning: a particle filter over (task, belief) hypotheses about a user.

Each particle is a task and a belief (where the user thinks each object is). An observed action's
likelihood is its Boltzmann probability under the particle (action values from the symbolic
planner of :mod:`worldmodels.user_model.household`); between decisions a particle's task switches
with ``change_prob`` (users change their minds) and its belief follows what the user does, sees
and hears. Beliefs start from the episodic memory: an object the user last saw somewhere is
believed there (or, with ``belief_slip``, where it really is: the user may have noticed a move).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from worldmodels.user_model.household import (
    OBJECTS,
    TASK_NAMES,
    TASKS,
    UNKNOWN,
    Action,
    Belief,
    World,
    action_values,
    boltzmann,
    initial_belief,
    look,
)
from worldmodels.user_model.memory import EpisodicMemory


@dataclass(frozen=True)
class Prediction:
    """One of the user's likely next actions."""

    action: Action
    probability: float


def _effect(belief: Belief, world: World, action: Action) -> Belief:
    """The belief after the user's own ``action`` in ``world`` (what it picks it holds)."""
    updated = list(belief)
    if action[0] == "pick":
        updated[OBJECTS.index(action[1])] = "user"
    elif action[0] == "put":
        held = world.held_by("user")
        if held is not None:
            updated[OBJECTS.index(held)] = world.location("user")
    return tuple(updated)


class UserModel:
    """The robot's model of the user's mind, updated from the user's observed actions."""

    def __init__(
        self,
        num_particles: int = 512,
        rationality: float = 2.0,
        noise: float = 0.05,
        change_prob: float = 0.02,
        belief_slip: float = 0.1,
        seed: int = 0,
    ) -> None:
        if num_particles < len(TASKS):
            raise ValueError(
                f"num_particles={num_particles} must be >= {len(TASKS)} (one per task)"
            )
        if not 0 <= change_prob < 1 or not 0 <= belief_slip <= 1 or not 0 < noise <= 1:
            raise ValueError(
                f"change_prob={change_prob} must be in [0, 1), belief_slip={belief_slip} in "
                f"[0, 1] and noise={noise} in (0, 1]"
            )
        self.num_particles, self.rationality, self.noise = num_particles, rationality, noise
        self.change_prob, self.belief_slip = change_prob, belief_slip
        self.rng = np.random.default_rng(seed)
        self.tasks = np.zeros(num_particles, dtype=np.int64)
        self.beliefs: list[Belief] = []
        self.weights = np.full(num_particles, 1.0 / num_particles)
        self.history: list[np.ndarray] = []  # goal posterior after every update
        # P(belief) the user acted on in the last observed action (before what it saw after)
        self.acting_belief: dict[str, dict[str, float]] = {}
        self._cache: dict[tuple, tuple[list[Action], np.ndarray]] = {}

    # ----- set-up -----------------------------------------------------------------------------
    def reset(self, world: World, memory: EpisodicMemory | None = None) -> None:
        """Uniform over tasks; beliefs from what ``memory`` says the user saw (else from a look
        around ``world``)."""
        n = self.num_particles
        self.tasks = np.arange(n) % len(TASKS)
        self.rng.shuffle(self.tasks)
        self.weights = np.full(n, 1.0 / n)
        seen_by_user = initial_belief(world) if memory is None else self._user_memory(memory)
        self.beliefs = []
        for _ in range(n):
            slips = self.rng.random(len(OBJECTS)) < self.belief_slip
            self.beliefs.append(
                tuple(
                    truth if slip and truth not in ("user", "robot") else seen
                    for seen, truth, slip in zip(seen_by_user, world.where, slips, strict=True)
                )
            )
        self.history = [self.goal_probabilities()]
        self._cache.clear()

    @staticmethod
    def _user_memory(memory: EpisodicMemory) -> Belief:
        last = (memory.last_seen(o, "user") for o in OBJECTS)
        return tuple(s.place if s is not None else UNKNOWN for s in last)

    # ----- updates ----------------------------------------------------------------------------
    def _policy(
        self, world: World, belief: Belief, task_index: int
    ) -> tuple[list[Action], np.ndarray]:
        key = (world, belief, task_index)
        if key not in self._cache:
            actions, values = action_values(world, "user", belief, TASKS[task_index])
            self._cache[key] = (actions, boltzmann(values, self.rationality, self.noise))
        return self._cache[key]

    def observe_action(self, world: World, action: Action, after: World | None = None) -> None:
        """The user did ``action`` in ``world`` (the robot's view when it began); ``after`` is
        the world once it finished (default: ``world`` with the action applied)."""
        action = ("put",) if action[0] == "put" else tuple(action)
        if action not in world.legal_actions("user"):
            raise ValueError(f"{action} is not something the user can do in {world}")
        after = after if after is not None else world.apply("user", action)
        switch = self.rng.random(self.num_particles) < self.change_prob
        self.tasks[switch] = self.rng.integers(len(TASKS), size=int(switch.sum()))
        likelihood = np.empty(self.num_particles)
        for i, (belief, t) in enumerate(zip(self.beliefs, self.tasks, strict=True)):
            actions, probs = self._policy(world, belief, int(t))
            likelihood[i] = probs[actions.index(action)]
        self._reweight(likelihood)
        self.acting_belief = self.belief_estimate()
        self.beliefs = [look(_effect(b, world, action), after, "user") for b in self.beliefs]
        self._resample_if_degenerate()
        self.history.append(self.goal_probabilities())
        if len(self._cache) > 20000:
            self._cache.clear()

    def observe_user_view(self, visible: Iterable[str], world: World) -> None:
        """The wearable camera showed ``visible`` objects: the user now knows where they are."""
        visible = set(visible)
        self.beliefs = [
            tuple(
                world.place_of(o) if o in visible else b
                for o, b in zip(OBJECTS, belief, strict=True)
            )
            for belief in self.beliefs
        ]

    def user_hears(self, obj: str, place: str) -> None:
        """The user was told that ``obj`` is now at ``place``."""
        k = OBJECTS.index(obj)
        self.beliefs = [(*b[:k], place, *b[k + 1 :]) for b in self.beliefs]

    def observe_answer(self, task_name: str, error_rate: float) -> None:
        """The user said its task is ``task_name``; it errs with probability ``error_rate``."""
        if task_name not in TASK_NAMES:
            raise ValueError(f"unknown task {task_name!r}; valid: {', '.join(TASK_NAMES)}")
        err = min(max(error_rate, 0.01), 0.99)
        said = TASK_NAMES.index(task_name)
        self._reweight(np.where(self.tasks == said, 1.0 - err, err / (len(TASKS) - 1)))
        self._resample_if_degenerate()
        self.history.append(self.goal_probabilities())

    def observe_tasks(self, task_names: Iterable[str], error_rate: float) -> None:
        """The user's answer says its task is one of ``task_names`` (a yes, a no, a place); it
        errs with probability ``error_rate`` (as :meth:`observe_answer` for one task)."""
        names = set(task_names)
        unknown = names - set(TASK_NAMES)
        if unknown or not names:
            raise ValueError(
                f"unknown or no tasks {sorted(unknown)}; valid: {', '.join(TASK_NAMES)}"
            )
        err = min(max(error_rate, 0.01), 0.99)
        inside = np.isin(self.tasks, [TASK_NAMES.index(n) for n in names])
        outside = max(len(TASKS) - len(names), 1)  # a wrong answer is one of the others
        self._reweight(np.where(inside, 1.0 - err, err / outside))
        self._resample_if_degenerate()
        self.history.append(self.goal_probabilities())

    def _reweight(self, likelihood: np.ndarray) -> None:
        weights = self.weights * likelihood
        total = weights.sum()
        self.weights = (
            weights / total if total > 0 else np.full(self.num_particles, 1.0 / self.num_particles)
        )

    def _resample_if_degenerate(self) -> None:
        ess = 1.0 / np.sum(self.weights**2)
        if ess >= self.num_particles / 2:
            return
        n = self.num_particles
        positions = (self.rng.random() + np.arange(n)) / n  # systematic resampling
        index = np.minimum(np.searchsorted(np.cumsum(self.weights), positions), n - 1)
        self.tasks = self.tasks[index]
        self.beliefs = [self.beliefs[i] for i in index]
        self.weights = np.full(n, 1.0 / n)

    # ----- outputs ----------------------------------------------------------------------------
    def goal_probabilities(self) -> np.ndarray:
        """P(task) in the order of ``TASKS``."""
        return np.bincount(self.tasks, weights=self.weights, minlength=len(TASKS))

    def goal_posterior(self) -> dict[str, float]:
        return dict(zip(TASK_NAMES, self.goal_probabilities().tolist(), strict=True))

    def most_likely_goal(self) -> str:
        return TASK_NAMES[int(np.argmax(self.goal_probabilities()))]

    def entropy(self) -> float:
        """Entropy of the goal posterior in bits (0: certain; log2(8) = 3: uniform)."""
        p = self.goal_probabilities()
        p = p[p > 0]
        return float(-(p * np.log2(p)).sum())

    def confidence(self) -> float:
        """1 − entropy / maximal entropy."""
        return 1.0 - self.entropy() / math.log2(len(TASKS))

    def belief_estimate(self) -> dict[str, dict[str, float]]:
        """P(the user believes object o is at place p), per object."""
        out: dict[str, dict[str, float]] = {}
        for k, obj in enumerate(OBJECTS):
            counts: Counter[str] = Counter()
            for belief, w in zip(self.beliefs, self.weights, strict=True):
                counts[belief[k]] += float(w)
            out[obj] = dict(counts.most_common())
        return out

    def predict(self, world: World, k: int = 3) -> list[Prediction]:
        """The user's ``k`` most likely next actions in ``world``, under the posterior."""
        totals: Counter[Action] = Counter()
        for belief, t, w in zip(self.beliefs, self.tasks, self.weights, strict=True):
            actions, probs = self._policy(world, belief, int(t))
            for action, p in zip(actions, probs, strict=True):
                totals[action] += float(w * p)
        return [Prediction(a, p) for a, p in totals.most_common(k)]
