"""The helper robot: infer what the user wants, ask when that is worth it, and help.

Each tick it turns its percept into the symbolic world and the user's completed actions
(``ActionRecognizer``), updates the mental user model (``UserModel``: a particle filter over the
user's task and beliefs) and the episodic memory, and, when idle, picks the subtask (move object
o to place t) of highest expected utility under the goal posterior. It commits to help once the
posterior is confident enough, hedges before (goes where it will most likely be needed), and asks
the user when the value of the answer beats the time the question costs.

``mode``: "infer" (the above), "oracle" (knows the task), "random_goal" (sure of a random task),
"none" (never helps).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np

from embodied.agents.agent_config import agent_config
from embodied.agents.configs import HelperConfig
from worldmodels.user_model.dialogue import DialogueGame, UtteranceProposer
from worldmodels.user_model.dialogue_game import MultiTurnDialogue, ProposalCache, TurnProposer
from worldmodels.user_model.helping import (
    Reply,
    Subtask,
    best_subtask,
    read_reply,
    value_of_confirmation,
    value_of_question,
)
from worldmodels.user_model.household import (
    OBJECTS,
    PLACES,
    TASK_NAMES,
    TASKS,
    WAIT,
    Action,
    World,
    command_index,
    robot_step_towards,
)
from worldmodels.user_model.inverse_planner import UserModel
from worldmodels.user_model.memory import EpisodicMemory
from worldmodels.user_model.recognizer import ActionRecognizer

log = logging.getLogger(__name__)
MODES = ("infer", "oracle", "random_goal", "none")


class HelperAgent:
    """A robot that helps the simulated user of ``HelpHouseholdEnv`` (see the module doc).

    ``options``: the fields of :class:`HelperConfig` by name (hydra's route), instead of ``cfg``.
    """

    def __init__(self, env: gym.Env, cfg: HelperConfig | None = None, **options: Any) -> None:
        cfg = agent_config(HelperConfig, cfg, options)
        if cfg.mode not in MODES:
            raise ValueError(f"agent.mode={cfg.mode!r}; valid: {', '.join(MODES)}")
        if cfg.dialogue_turns < 1:
            raise ValueError(f"agent.dialogue_turns={cfg.dialogue_turns} must be >= 1")
        if not 0 <= cfg.confidence <= 1:
            raise ValueError(f"agent.confidence={cfg.confidence} must be in [0, 1]")
        self.env = env.unwrapped
        if not hasattr(self.env, "ask") or not hasattr(self.env, "world"):
            raise TypeError(
                f"{type(self.env).__name__} is not a helping env; agent=helper runs in "
                "env=help_household"
            )
        self.cfg = cfg
        self.mode, self.confidence, self.ask_enabled = cfg.mode, cfg.confidence, cfg.ask
        self.ask_cost, self.max_questions = cfg.ask_cost, cfg.max_questions
        self.answer_error = cfg.answer_error
        self.memory_path = Path(cfg.memory_path) if cfg.memory_path else None
        self.memory = EpisodicMemory(cfg.memory_capacity)  # saved to memory_path by close()
        self.model = UserModel(
            cfg.num_particles,
            cfg.rationality,
            cfg.noise,
            cfg.change_prob,
            cfg.belief_slip,
            cfg.seed,
        )
        self.recognizer = ActionRecognizer(self.memory)
        llm = cfg.llm if cfg.dialogue else None
        self.game = DialogueGame(UtteranceProposer(llm) if llm is not None else None)
        self.dialogue = MultiTurnDialogue(
            TurnProposer(llm, ProposalCache(cfg.proposals_path)),
            max(cfg.dialogue_turns, 1),
            annoyance={"patient": 0.5, "busy": cfg.busy_annoyance},
        )
        self.rng = np.random.default_rng(cfg.seed)
        self.tick = 0
        self.subtask: Subtask | None = None
        self.questions = 0
        self.log: list[dict[str, Any]] = []  # per decision: posterior, entropy, what was chosen
        self._random_goal = 0
        self._plan = "start"  # what the last act() chose, in words (explain())

    # ----- episode ----------------------------------------------------------------------------
    def reset(self, seed: int | None = None) -> None:
        if seed is not None:  # streams of their own (not the env's, which the same seed makes)
            self.rng = np.random.default_rng([seed, 1])
            self.model.rng = np.random.default_rng([seed, 2])
        self.tick, self.subtask, self.questions, self.log = 0, None, 0, []
        self._plan = "start"
        self._random_goal = int(self.rng.integers(len(TASKS)))
        self.memory.clear()  # every episode is a new layout: old sightings would mislead

    def _time(self) -> float:
        return self.tick * self.env.world.dt

    def goal_probs(self) -> np.ndarray:
        if self.mode == "oracle":
            return np.eye(len(TASKS))[TASK_NAMES.index(self.env.task.name)]
        if self.mode == "random_goal":
            return np.eye(len(TASKS))[self._random_goal]
        return self.model.goal_probabilities()

    def _perceive(self, observation: dict[str, Any]) -> World:
        t = self._time()
        if self.tick == 0:
            world = self.recognizer.reset(observation, t)
            self.model.reset(world, self.memory)
        else:
            before = self.recognizer.world
            for start, action, after in self.recognizer.update(observation, t):
                try:
                    self.model.observe_action(start, action, after)
                except ValueError as exc:  # a glitch of perception: skip the event
                    log.debug("skipped user event: %s", exc)
            world = self.recognizer.world
            for k, obj in enumerate(OBJECTS):  # the robot says what it put down; the user hears
                if before.where[k] == "robot" and world.where[k] in PLACES:
                    self.model.user_hears(obj, world.where[k])
        seen = [o for o, s in zip(OBJECTS, observation.get("user_sees", ()), strict=False) if s]
        if seen:  # the wearable shows what the user sees
            self.model.observe_user_view(seen, world)
            for obj in seen:
                if world.place_of(obj) in PLACES:
                    self.memory.see(obj, world.place_of(obj), t, "user")
        return world

    # ----- acting -----------------------------------------------------------------------------
    def act(self, observation: dict[str, Any]) -> np.ndarray:
        world = self._perceive(observation)
        self.tick += 1
        if self.mode == "none" or not bool(observation["idle"][0]):
            self._plan = "never helps" if self.mode == "none" else self._plan  # busy: keeps on
            return np.int64(command_index(WAIT))
        command = self._decide(world)
        self._plan = " ".join(command)
        if self.subtask is not None:
            self._plan += f" (to bring the {self.subtask[0]} to the {self.subtask[1]})"
        elif command != WAIT:
            self._plan += " (hedging: not sure of the goal yet)"
        self._plan = self._plan.replace("_", " ")
        return np.int64(command_index(command))

    def explain(self) -> dict[str, Any]:
        """The reasoning of the last ``act()`` (the ``Agent.explain`` contract): the goal
        posterior, the question asked in it and the answer (when one was), the plan."""
        out: dict[str, Any] = {
            "posterior": dict(zip(TASK_NAMES, map(float, self.goal_probs()), strict=True)),
            "plan": self._plan,
        }
        for entry in reversed(self.log):
            if entry["tick"] != self.tick:
                break
            if "question" in entry:
                out["question"], out["answer"] = entry["question"], entry["answer"]
        return out

    def _avoid(self, world: World) -> dict[str, float]:
        """P(the user's next action goes for object o), from the model's predictions."""
        avoid: dict[str, float] = {}
        if self.mode != "infer":
            return avoid
        for pred in self.model.predict(world, k=6):
            action = pred.action
            if action[0] == "pick":
                avoid[action[1]] = avoid.get(action[1], 0.0) + pred.probability
            elif action[0] == "walk":
                for obj in OBJECTS:
                    if world.place_of(obj) == action[1]:
                        avoid[obj] = avoid.get(obj, 0.0) + pred.probability
        return {o: min(p, 1.0) for o, p in avoid.items()}

    def _decide(self, world: World) -> Action:
        held = world.held_by("robot")
        if held is not None:  # finish what is in hand
            target = self.subtask[1] if self.subtask and self.subtask[0] == held else PLACES[0]
            return robot_step_towards(world, held, target)
        probs = self.goal_probs()
        if self._still_worth_it(world, probs):  # keep to the subtask in hand
            return robot_step_towards(world, *self.subtask)
        avoid = self._avoid(world)
        if self.mode == "infer" and self._should_ask(world, probs, avoid):
            self._ask(world, probs, avoid)
            probs = self.goal_probs()
        choice = best_subtask(world, probs, avoid)
        sure = probs.max() >= self.confidence
        self.log.append({"tick": self.tick, "posterior": probs.tolist(),
                         "entropy": self.model.entropy(), "subtask": choice.subtask,
                         "confident": bool(sure)})  # fmt: skip
        if choice.subtask is None:
            self.subtask = None
            return WAIT
        if not sure:  # hedge: go towards the object most likely needed, touch nothing yet
            self.subtask = None
            source = world.place_of(choice.subtask[0])
            return ("walk", source) if world.location("robot") != source else WAIT
        self.subtask = choice.subtask
        return robot_step_towards(world, *choice.subtask)

    def _still_worth_it(self, world: World, probs: np.ndarray) -> bool:
        """Whether the committed subtask can still be done and is still likely needed."""
        if self.subtask is None:
            return False
        obj, target = self.subtask
        if world.place_of(obj) not in PLACES or world.place_of(obj) == target:
            return False
        needed = sum(p for p, t in zip(probs, TASKS, strict=True) if (obj, target) in t.predicates)
        return needed >= self.confidence

    # ----- asking -----------------------------------------------------------------------------
    def _should_ask(self, world: World, probs: np.ndarray, avoid: dict[str, float]) -> bool:
        if not self.ask_enabled or self.questions >= self.max_questions:
            return False
        return value_of_question(world, probs, self.answer_error, avoid) > self.ask_cost

    def _ask(self, world: World, probs: np.ndarray, avoid: dict[str, float]) -> None:
        if self.cfg.dialogue_turns > 1:
            self.dialogue.play(world, probs, self.ask_cost, self._say, avoid)
            return
        values = {
            "open": value_of_question(world, probs, self.answer_error, avoid),
            "confirm": value_of_confirmation(world, probs, avoid),
        }
        top = TASKS[int(np.argmax(probs))]
        utterance = self.game.choose(values, self.ask_cost, top.description)
        self._say(utterance.text, top.name if utterance.content == "confirm" else None)

    def _say(self, question: str, confirms: str | None = None) -> Reply:
        """Ask the user ``question`` (``confirms``: the task a confirmation asks about), update
        the model with what the answer tells (a task, yes/no, a place); return that."""
        answer = self.env.ask(question)
        self.questions += 1
        reply = read_reply(answer, confirms)
        if reply.task is not None and reply.kind == "task":
            self.model.observe_answer(reply.task, self.answer_error)
        elif reply.kind != "none":
            self.model.observe_tasks(reply.tasks, self.answer_error)
        self.log.append({"tick": self.tick, "question": question, "answer": answer,
                         "read_as": reply.task, "reply": reply.kind})  # fmt: skip
        return reply

    def close(self) -> None:
        if self.memory_path is not None:
            self.memory.save(self.memory_path)
