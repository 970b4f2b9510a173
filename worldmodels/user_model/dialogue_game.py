"""A multi-turn dialogue game with private information, in the style of open_spiel's chat games.

As in open_spiel's ``chat_game``, each player's actions are *prompt actions* (what to say and
how: an open question about the user's task, a confirmation of the most likely task, plainly or
in the language model's words, or saying nothing more); the language model writes the words of
each candidate once per turn (cached on disk as JSON, so a solve is reproducible and fast), and
the payoffs come from the outcome. Chance draws the user's goal (from the helper's posterior) and
mood (patient or busy); both are private to the user. Turns alternate: the assistant says
something or stops; the user, knowing its goal and mood, answers truthfully or brushes the
question off; the assistant hears the answer: to an open question a patient user names its
goal and a busy one only where things go (the target place, which two goals share), to a
confirmation yes or no, to a brush-off nothing. So one question may leave goals apart that a
second one separates, and what the user said tells the assistant something of its mood. When the
dialogue ends the assistant acts on its posterior given what it heard, and both players get the
seconds of the user's plan the chosen subtask saves under the *true* goal, minus the time the
questions cost and the user's annoyance (which grows with each question, more for a busy user);
the user pays a small effort to answer (less than brushing off feels awkward), the assistant
gets a small bonus for well-rated words. The game is written in open_spiel's EFG format and
solved with CFR; the helper walks its average strategy, one question at a time.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path

import numpy as np
import pyspiel
from open_spiel.python import policy as policy_lib
from open_spiel.python.algorithms import cfr, exploitability

from worldmodels.language.base import LanguageModel
from worldmodels.user_model.helping import (
    Reply,
    best_subtask,
    candidate_subtasks,
    robot_seconds,
    savings,
)
from worldmodels.user_model.household import TASK_NAMES, TASKS, World

log = logging.getLogger(__name__)
STOP = "stop"
KINDS = ("open", "confirm")
TEMPLATES = {
    "open": "Which task are you working on?",
    "confirm": "Are you going to {top}?",
    "open_followup": "Sorry, could you tell me once more which task you are doing?",
    "confirm_followup": "Just to be sure: are you going to {top}?",
}
MOOD_PRIOR = {"patient": 0.7, "busy": 0.3}
ANNOYANCE = {"patient": 0.5, "busy": 4.0}  # seconds per question, times the question's index
ANSWER_EFFORT = 0.5  # seconds of the user's effort to answer
BRUSH_OFF_AWKWARDNESS = 1.0  # what brushing the robot off costs the user, in seconds
RATING_WEIGHT = 0.5  # seconds one point of rating (0..1) is worth to the assistant
MIN_GOAL_PROB = 0.02  # goals less likely than this are left out of chance's draw
MAX_GOALS = len(TASKS)  # at most this many goals (the likeliest) in chance's draw
TREMBLE = 0.02  # each action's least probability while CFR weighs the players' reach


@dataclass(frozen=True)
class Move:
    """A prompt action of the assistant: ``kind`` (open, confirm, stop), ``style`` (plain or
    llm), the words, the language model's rating in [0, 1]."""

    kind: str
    style: str
    text: str
    rating: float = 0.5


class ProposalCache:
    """Utterances the language model proposed, in a JSON file keyed by model, turn and top task
    (a missing file starts empty; a corrupt one is an error naming it)."""

    def __init__(self, path: str | Path | None) -> None:
        self.path = Path(path) if path else None
        self.entries: dict[str, list[dict]] = {}
        if self.path is not None and self.path.exists():
            try:
                self.entries = json.loads(self.path.read_text())
            except json.JSONDecodeError as exc:
                raise ValueError(f"proposal cache {self.path} is not JSON: {exc}") from exc
            if not isinstance(self.entries, dict):
                raise ValueError(f"proposal cache {self.path} must hold a JSON object")

    def get(self, key: str) -> list[Move] | None:
        rows = self.entries.get(key)
        if rows is None:
            return None
        try:
            return [Move(**row) for row in rows]
        except TypeError as exc:
            raise ValueError(
                f"proposal cache {self.path}: entry {key!r} must be a list of objects with "
                f"the fields kind, style, text, rating ({exc})"
            ) from exc

    def put(self, key: str, moves: list[Move]) -> None:
        self.entries[key] = [asdict(m) for m in moves]
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.write_text(json.dumps(self.entries, indent=1, sort_keys=True))


class TurnProposer:
    """The assistant's candidate moves of one turn: each kind as its plain template and, with a
    language model, in the model's words (one call per kind, one to rate them), plus stop."""

    def __init__(
        self, llm: LanguageModel | None = None, cache: ProposalCache | None = None,
        max_tokens: int = 24,
    ) -> None:  # fmt: skip
        self.llm, self.max_tokens = llm, max_tokens
        self.cache = cache or ProposalCache(None)

    def moves(self, turn: int, top: str) -> list[Move]:
        model = self.llm.model_name if self.llm is not None else "templates"
        key = f"{model}|turn{turn}|{top}"
        cached = self.cache.get(key)
        if cached is not None:
            return cached
        moves = []
        for kind in KINDS:
            template = TEMPLATES[kind if turn == 0 else f"{kind}_followup"].format(top=top)
            moves.append(Move(kind, "plain", template))
            if self.llm is not None:
                moves.append(Move(kind, "llm", self._rewrite(template, turn) or template))
        moves = list({m.text: m for m in reversed(moves)}.values())[::-1]  # each text once
        if self.llm is not None:
            moves = self._rate(moves)
        moves.append(Move(STOP, "plain", "", 0.5))
        self.cache.put(key, moves)
        return moves

    def _rewrite(self, template: str, turn: int) -> str:
        context = "" if turn == 0 else "The robot has asked before; this is a follow-up. "
        prompt = (f"A robot helps a person with a chore. {context}Rewrite the robot's question "
                  "so that it is short and polite.\n"
                  f"Question: {template}\nRewritten question:")  # fmt: skip
        reply = self.llm.chat([{"role": "user", "content": prompt}], max_tokens=self.max_tokens)
        words = " ".join(reply.text.strip().strip('"').split())
        return words if words.endswith("?") and len(words) <= 160 else ""

    def _rate(self, moves: list[Move]) -> list[Move]:
        listing = "\n".join(f"{i + 1}. {m.text}" for i, m in enumerate(moves))
        prompt = ("Rate each message a robot could say to a person who is busy with a chore, "
                  f"from 1 (rude or unclear) to 5 (polite and clear):\n{listing}\n"
                  f"Reply with {len(moves)} digits separated by spaces, nothing else.")  # fmt: skip
        reply = self.llm.chat([{"role": "user", "content": prompt}], max_tokens=2 * len(moves) + 2)
        ratings = [(int(d) - 1) / 4 for d in re.findall(r"[1-5]", reply.text)]
        if len(ratings) != len(moves):
            return moves
        return [Move(m.kind, m.style, m.text, r) for m, r in zip(moves, ratings, strict=True)]


@dataclass(frozen=True)
class Scene:
    """What the payoffs need: the goals chance draws (indices into ``TASKS``) with their prior,
    the likeliest goal (what a first confirmation asks about; later ones ask about the
    likeliest goal still possible, :func:`top_of`), and ``value[k, g]``: seconds saved when
    the assistant acts on what it knows (k: a bitmask of the goals still possible) and the goal
    is g."""

    goals: tuple[int, ...]
    prior: tuple[float, ...]
    top: int
    value: Callable[[int, int], float]


def scene_of(
    world: World, goal_probs: np.ndarray, avoid: Mapping[str, float] | None = None
) -> Scene:
    """The dialogue's chance draw and outcome values in ``world`` under ``goal_probs``."""
    probs = np.asarray(goal_probs, dtype=float)
    if probs.shape != (len(TASKS),) or not np.isfinite(probs).all() or probs.sum() <= 0:
        raise ValueError(f"goal_probs must be {len(TASKS)} finite non-negative weights")
    order = [int(g) for g in np.argsort(-probs, kind="stable")[:MAX_GOALS]]
    goals = tuple(g for g in order if probs[g] >= MIN_GOAL_PROB) or (order[0],)
    prior = probs[list(goals)] / probs[list(goals)].sum()
    subtasks = candidate_subtasks(world)
    gains = savings(world, subtasks) if subtasks else np.zeros((0, len(TASKS)))
    avoid = dict(avoid or {})

    @cache
    def choice(mask: int) -> int | None:
        belief = np.zeros(len(TASKS))
        for i, g in enumerate(goals):
            if mask >> i & 1:
                belief[g] = prior[i]
        chosen = best_subtask(world, belief / belief.sum(), avoid).subtask
        return None if chosen is None else subtasks.index(chosen)

    def value(mask: int, goal: int) -> float:
        s = choice(mask)
        if s is None:
            return 0.0
        obj = subtasks[s][0]
        saved = gains[s, goals[goal]] * (1.0 - avoid.get(obj, 0.0))
        return float(saved - 0.05 * robot_seconds(world, subtasks[s]))

    return Scene(goals, tuple(float(p) for p in prior), 0, value)


def _heard(move: Move, goal: int, top: int, mood: str, goals: tuple[int, ...]) -> str:
    """What the assistant hears when the user in ``mood`` answers ``move`` with goal index
    ``goal`` (into ``goals``): the goal, or its target place from a busy user, or yes/no."""
    if move.kind == "open":
        return f"g{goal}" if mood == "patient" else f"t{TASKS[goals[goal]].target}"
    return "yes" if goal == top else "no"


def top_of(mask: int) -> int:
    """The likeliest goal still possible (goals are in order of probability): what a
    confirmation asks about once earlier answers have ruled goals out."""
    return (mask & -mask).bit_length() - 1


def _possible(mask: int, heard: str, top: int, goals: tuple[int, ...]) -> int:
    if heard.startswith("g"):
        return mask & (1 << int(heard[1:]))
    if heard.startswith("t"):
        same = sum(1 << i for i, g in enumerate(goals) if TASKS[g].target == heard[1:])
        return mask & same
    if heard == "yes":
        return mask & (1 << top)
    if heard == "no":
        return mask & ~(1 << top)
    return mask


class TremblingCFRPlusSolver(cfr.CFRPlusSolver):
    """CFR+ in which every player trembles: each action is played with at least ``tremble``
    probability. Plain CFR settles in this game on a babbling equilibrium (the assistant stops
    at once, so the user's answers are never reached and never learned, and brushing off stays
    a best reply off the path); the tremble keeps every question reached, so the user learns to
    answer and the solution approaches a trembling-hand perfect one."""

    def __init__(self, game: pyspiel.Game, tremble: float = TREMBLE) -> None:
        if not 0 <= tremble < 1:
            raise ValueError(f"tremble={tremble} must be in [0, 1)")
        super().__init__(game)
        self.tremble = tremble

    def _get_infostate_policy(self, info_state_str: str) -> dict[int, float]:
        probs = super()._get_infostate_policy(info_state_str)
        floor = self.tremble / len(probs)
        return {a: (1 - self.tremble) * p + floor for a, p in probs.items()}


def solve_trembling(game: pyspiel.Game, iterations: int, tremble: float = TREMBLE,
                    ) -> policy_lib.TabularPolicy:  # fmt: skip
    """The average policy of :class:`TremblingCFRPlusSolver` after ``iterations``."""
    solver = TremblingCFRPlusSolver(game, tremble)
    for _ in range(iterations):
        solver.evaluate_and_update_policy()
    return solver.average_policy()


class _EfgWriter:
    """Writes the game tree depth-first, numbering outcomes and infosets per player."""

    def __init__(self, scene: Scene, turns: list[list[Move]], ask_cost: float,
                 annoyance: Mapping[str, float]) -> None:  # fmt: skip
        self.scene, self.turns, self.ask_cost = scene, turns, ask_cost
        self.annoyance = annoyance
        self.lines: list[str] = []
        self.infosets: dict[tuple[int, str], int] = {}
        self.outcomes = 0

    def infoset(self, player: int, name: str) -> int:
        count = sum(1 for p, _ in self.infosets if p == player)
        return self.infosets.setdefault((player, name), count + 1)

    def terminal(self, goal: int, mood: str, mask: int, asked: int, answered: int, bonus: float):
        saved = self.scene.value(mask, goal)
        annoyance = self.annoyance[mood] * asked * (asked + 1) / 2
        shared = saved - self.ask_cost * asked - annoyance
        brushed = asked - answered
        user = shared - ANSWER_EFFORT * answered - BRUSH_OFF_AWKWARDNESS * brushed
        self.outcomes += 1
        self.lines.append(f't "" {self.outcomes} "" {{ {shared + bonus:.6f} {user:.6f} }}')

    def assistant(self, goal: int, mood: str, turn: int, history: str, mask: int,
                  asked: int, answered: int, bonus: float) -> None:  # fmt: skip
        moves = self.turns[turn] if turn < len(self.turns) else []
        if not moves:
            self.terminal(goal, mood, mask, asked, answered, bonus)
            return
        names = " ".join(f'"{turn}:{i}"' for i in range(len(moves)))
        number = self.infoset(1, f"a{history}")
        self.lines.append(f'p "" 1 {number} "a{history}" {{ {names} }} 0')
        for i, move in enumerate(moves):
            if move.kind == STOP:
                self.terminal(goal, mood, mask, asked, answered, bonus)
                continue
            extra = bonus + RATING_WEIGHT * move.rating
            said = f"{history}/{turn}:{i}"
            name = f"u{goal}{mood}{said}"
            self.lines.append(f'p "" 2 {self.infoset(2, name)} "{name}" {{ "answer" "brush" }} 0')
            top = top_of(mask)
            heard = _heard(move, goal, top, mood, self.scene.goals)
            after = _possible(mask, heard, top, self.scene.goals)
            self.assistant(goal, mood, turn + 1, f"{said}={heard}", after, asked + 1,
                           answered + 1, extra)  # fmt: skip
            self.assistant(goal, mood, turn + 1, f"{said}=-", mask, asked + 1, answered, extra)

    def write(self) -> str:
        self.lines = ['EFG 2 R "multi-turn dialogue" { "assistant" "user" } ""']
        draws = [(g, m, p * q) for g, p in enumerate(self.scene.prior)
                 for m, q in MOOD_PRIOR.items()]  # fmt: skip
        listing = " ".join(f'"g{g}{m}" {p:.9f}' for g, m, p in draws)
        self.lines.append(f'c "" 1 "" {{ {listing} }} 0')
        everything = (1 << len(self.scene.goals)) - 1
        for g, m, _ in draws:
            self.assistant(g, m, 0, "", everything, 0, 0, 0.0)
        return "\n".join(self.lines) + "\n"


def multi_turn_efg(scene: Scene, turns: list[list[Move]], ask_cost: float,
                   annoyance: Mapping[str, float] | None = None) -> str:  # fmt: skip
    """The multi-turn dialogue game in open_spiel's EFG format (``turns``: the assistant's
    candidate moves per turn; a ``stop`` move ends the dialogue; ``annoyance``: seconds per
    mood that each further question costs, times its index; default :data:`ANNOYANCE`)."""
    if ask_cost < 0:
        raise ValueError(f"ask_cost={ask_cost} must be >= 0")
    annoyance = dict(ANNOYANCE if annoyance is None else annoyance)
    if set(annoyance) != set(MOOD_PRIOR) or min(annoyance.values()) < 0:
        raise ValueError(f"annoyance={annoyance} must give seconds >= 0 for {sorted(MOOD_PRIOR)}")
    return _EfgWriter(scene, turns, ask_cost, annoyance).write()


@dataclass
class Solved:
    """A solved dialogue: the game, the average policy, its NashConv (0 at an equilibrium)."""

    game: pyspiel.Game
    policy: policy_lib.TabularPolicy
    turns: list[list[Move]]
    scene: Scene
    nash_conv: float

    def assistant_probs(self, history: str) -> dict[int, float] | None:
        """The assistant's strategy over the turn's moves (by position) at the infoset reached by
        ``history`` (None: not in the game), found in any chance branch that reaches it."""
        state = self._find(self.game.new_initial_state(), f"a{history}")
        if state is None:
            return None
        return {
            int(state.action_to_string(a).split(":")[1]): float(p)  # action "turn:move"
            for a, p in self.policy.action_probabilities(state).items()
        }

    def _find(self, state: pyspiel.State, infoset: str) -> pyspiel.State | None:
        if state.is_terminal():
            return None
        if state.current_player() == 0:
            name = state.information_state_string().split("-", 3)[3]  # "player-?-number-name"
            if name == infoset:
                return state
            if not infoset.startswith(name):
                return None
        for action in state.legal_actions():
            found = self._find(state.child(action), infoset)
            if found is not None:
                return found
        return None


def _heard_in_game(reply: Reply, move: Move, scene: Scene, top: int) -> str | None:
    """The game's name of what ``reply`` to ``move`` told (None: an answer it has no branch
    for, such as a goal it left out)."""
    if reply.kind == "none":
        return "-"
    if reply.kind in ("yes", "no"):
        return reply.kind if move.kind == "confirm" else None
    if reply.kind == "place":
        target = TASKS[TASK_NAMES.index(next(iter(reply.tasks)))].target
        goals_there = [g for g in scene.goals if TASKS[g].target == target]
        return f"t{target}" if move.kind == "open" and goals_there else None
    goal = TASK_NAMES.index(reply.task)  # type: ignore[arg-type]
    if goal not in scene.goals:
        return None
    index = scene.goals.index(goal)
    if move.kind == "open":
        return f"g{index}"
    return "yes" if index == top else "no"


class MultiTurnDialogue:
    """Solves the multi-turn dialogue game and plays the assistant's side against a user."""

    def __init__(self, proposer: TurnProposer | None = None, turns: int = 2,
                 iterations: int = 100, annoyance: Mapping[str, float] | None = None,
                 ) -> None:  # fmt: skip
        if turns < 1:
            raise ValueError(f"turns={turns} must be >= 1")
        self.proposer = proposer or TurnProposer()
        self.turns, self.iterations = turns, iterations
        self.annoyance = dict(ANNOYANCE if annoyance is None else annoyance)
        self.last: Solved | None = None

    def solve(self, world: World, goal_probs: np.ndarray, ask_cost: float,
              avoid: Mapping[str, float] | None = None) -> Solved:  # fmt: skip
        scene = scene_of(world, goal_probs, avoid)
        top = TASKS[scene.goals[scene.top]].description
        turns = [self.proposer.moves(t, top) for t in range(self.turns)]
        game = pyspiel.load_efg_game(multi_turn_efg(scene, turns, ask_cost, self.annoyance))
        average = solve_trembling(game, self.iterations)
        conv = float(exploitability.nash_conv(game, average))
        self.last = Solved(game, average, turns, scene, conv)
        return self.last

    def _words(self, move: Move, turn: int, top: str) -> str:
        """The words of ``move`` about ``top`` (a confirmation names the likeliest goal still
        possible, which earlier answers may have changed)."""
        if move.kind != "confirm":
            return move.text
        same = [m for m in self.proposer.moves(turn, top) if (m.kind, m.style) == (move.kind,
                move.style)]  # fmt: skip
        return same[0].text if same else move.text

    def play(self, world: World, goal_probs: np.ndarray, ask_cost: float,
             say: Callable[[str, str | None], Reply], avoid: Mapping[str, float] | None = None,
             ) -> list[tuple[str, Reply]]:  # fmt: skip
        """Solve, then say the moves the assistant's average strategy favours, one per turn,
        until it stops; ``say(question, confirms)`` asks the user (``confirms``: the task a
        confirmation asks about, None for an open question) and returns the :class:`Reply`
        it read. Returns (question, reply) per question asked."""
        solved = self.solve(world, goal_probs, ask_cost, avoid)
        scene, history, said = solved.scene, "", []
        mask = (1 << len(scene.goals)) - 1
        for turn, moves in enumerate(solved.turns):
            probs = solved.assistant_probs(history)
            if not probs:
                break
            move_index = max(probs, key=probs.get)
            move = moves[move_index]
            log.info("dialogue turn %d: %r (%s) at %.3f", turn, move.text, move.kind,
                     probs[move_index])  # fmt: skip
            if move.kind == STOP:
                break
            top = top_of(mask)
            text = self._words(move, turn, TASKS[scene.goals[top]].description)
            reply = say(text, TASK_NAMES[scene.goals[top]] if move.kind == "confirm" else None)
            said.append((text, reply))
            heard = _heard_in_game(reply, move, scene, top)
            mask = 0 if heard is None else _possible(mask, heard, top, scene.goals)
            if not mask:
                break  # an answer the game did not foresee: act on the updated posterior
            history += f"/{turn}:{move_index}={heard}"
        return said
