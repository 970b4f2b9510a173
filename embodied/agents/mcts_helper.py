"""The helper that plans with the shared tree search: belief-space MCTS over its skills.

It perceives, keeps the mental user model and asks through the dialogue game as
:class:`~embodied.agents.helper.HelperAgent` does; when idle it decides with
:func:`worldmodels.user_model.belief_mcts.plan`: ``planning.MCTS`` over go to / open / pick /
place / ask / wait, each simulation against a (task, belief) particle of the model with the
user's moves predicted by the model's own policy. When the search picks "ask" the robot asks
and plans again with the answer; when it picks "ask at the user's next walk" the question waits
until the user's pose shows a walk with ``ask_busy_seconds`` left (the robot talks while it
moves), and the robot plans its move meanwhile. ``explain()`` gives the reasoning of the last
``act()``.
"""

from __future__ import annotations

import time
from typing import Any

import gymnasium as gym
import numpy as np

from embodied.agents.agent_config import agent_config
from embodied.agents.configs import MCTSHelperConfig
from embodied.agents.helper import HelperAgent
from worldmodels.user_model.belief_mcts import (
    ASK,
    ASK_WHEN_BUSY,
    Decision,
    HelpingSimulator,
    PlannerSettings,
    SimulationSettings,
    Situation,
    describe,
    plan,
    user_activity_from_pose,
)
from worldmodels.user_model.household import TASK_NAMES, Action, World


class MCTSHelperAgent(HelperAgent):
    """A helper whose decisions come from belief-space MCTS (see the module doc).

    ``options``: the fields of :class:`MCTSHelperConfig` by name (hydra's route), instead of
    ``cfg``.
    """

    def __init__(self, env: gym.Env, cfg: MCTSHelperConfig | None = None, **options: Any) -> None:
        cfg = agent_config(MCTSHelperConfig, cfg, options)
        if cfg.mode != "infer":
            raise ValueError(
                f"agent.mode={cfg.mode!r}; the MCTS helper plans on the inferred goal (mode "
                "'infer'); the oracle and other baselines are agent=helper's modes"
            )
        super().__init__(env, cfg)
        self.planner = PlannerSettings(
            cfg.simulations,
            cfg.max_depth,
            cfg.uct_c,
            cfg.pw_k,
            cfg.pw_alpha,
            cfg.value_weight,
            cfg.max_weight,
        )
        self.simulator = HelpingSimulator(
            self.model._policy,
            SimulationSettings(
                dt=self.env.world.dt,
                ask_seconds=float(getattr(self.env, "ask_seconds", 3.0)),
                answer_error=self.answer_error,
                confidence=self.confidence,
                horizon_seconds=cfg.horizon_seconds,
                ask_busy_seconds=cfg.ask_busy_seconds,
            ),
        )
        self.decisions: list[Decision] = []  # of the episode, in order
        self.step_seconds: list[float] = []  # wall time of every act() of the episode
        self._seed = 0
        self._pause_until = 0  # tick until which the user still answers the last question
        self._ask_pending = False  # a question waits for the user's next walk
        self._asked_now: tuple[str, str] | None = None  # (question, answer) of this act()
        self._observation: dict[str, Any] = {}
        self._explanation: dict[str, Any] | None = None

    def reset(self, seed: int | None = None) -> None:
        super().reset(seed)
        self._seed = 0 if seed is None else int(seed)
        self.decisions, self.step_seconds = [], []
        self._pause_until, self._explanation = 0, None
        self._ask_pending, self._asked_now = False, None

    def act(self, observation: dict[str, Any]) -> np.ndarray:
        start = time.perf_counter()
        self._observation = observation
        self._explanation, self._asked_now = None, None
        action = super().act(observation)
        if self._explanation is None:  # busy (or mode none): nothing decided this tick
            self._explanation = self._explain(None, *(self._asked_now or (None, None)))
        self.step_seconds.append(time.perf_counter() - start)
        return action

    def _perceive(self, observation: dict[str, Any]) -> World:
        """Perceive; then ask a deferred question if the user now walks long enough."""
        world = super()._perceive(observation)
        if self._ask_pending and self.questions < self.max_questions:
            walk = user_activity_from_pose(world, observation["user"])
            if walk is not None and walk.seconds >= self.simulator.settings.ask_busy_seconds:
                self._ask_pending = False
                self._ask(world, self.goal_probs(), {})
                self._asked_now = (self.log[-1]["question"], self.log[-1]["answer"])
                # perceived before this act's tick count: the step index is self.tick
                ticks = self.simulator.settings.ticks(self.env.ask_seconds)
                self._pause_until = self.tick + ticks
        return world

    def _situation(self, world: World) -> Situation:
        model = self.model
        pause = max(0, self._pause_until - (self.tick - 1)) * self.env.world.dt
        return Situation(
            world=world,
            tasks=model.tasks.copy(),
            beliefs=tuple(model.beliefs),
            weights=model.weights.copy(),
            goal_probs=self.goal_probs(),
            user_activity=user_activity_from_pose(world, self._observation["user"]),
            pause_seconds=pause,
            questions_left=(self.max_questions - self.questions) if self.ask_enabled else 0,
            ask_pending=self._ask_pending,
        )

    def _decide(self, world: World) -> Action:
        question, answer = self._asked_now or (None, None)
        while True:
            entropy = [self._seed, self.tick, self.questions, int(self._ask_pending)]
            seed = int(np.random.SeedSequence(entropy).generate_state(1)[0])
            decision = plan(self._situation(world), self.simulator, self.planner, seed)
            self.decisions.append(decision)
            if decision.action == ASK_WHEN_BUSY and not self._ask_pending:
                self._ask_pending = True  # plan the move with the question deferred
                continue
            if decision.action != ASK or self.questions >= self.max_questions:
                break
            self._ask_pending = False
            probs = self.goal_probs()
            self._ask(world, probs, {})
            question, answer = self.log[-1]["question"], self.log[-1]["answer"]
            # the user starts nothing for ask_seconds from this step on (step index tick - 1)
            self._pause_until = self.tick - 1 + self.simulator.settings.ticks(self.env.ask_seconds)
        action = decision.action if decision.action not in (ASK, ASK_WHEN_BUSY) else ("wait",)
        self.log.append({"tick": self.tick, "posterior": self.goal_probs().tolist(),
                         "action": list(action), "simulations": decision.simulations})  # fmt: skip
        self._explanation = self._explain(decision, question, answer)
        return action

    def _explain(
        self, decision: Decision | None, question: str | None, answer: str | None
    ) -> dict[str, Any]:
        last = decision or (self.decisions[-1] if self.decisions else None)
        root = {} if last is None else last.root
        posterior = dict(zip(TASK_NAMES, self.goal_probs().tolist(), strict=True))
        return {
            "posterior": posterior,
            "question": question,
            "answer": answer,
            "plan": " -> ".join(describe(a) for a in last.plan) if last else "",
            "decided": decision is not None,
            "simulations": decision.simulations if decision else 0,
            "root": {k: {"visits": v, "extra_seconds": round(s, 2)} for k, (v, s) in root.items()},
        }

    def explain(self) -> dict[str, Any] | None:
        """The reasoning of the last ``act()`` as JSON-serialisable data (None before any):
        ``posterior`` {task: probability}, the ``question`` asked and its ``answer`` (None if
        none), the ``plan`` (the most visited skill sequence of the last search), whether this
        act ``decided`` (the robot was idle), its ``simulations`` and, per root action, the
        visits and mean simulated seconds more than the rollout policy alone."""
        return self._explanation
