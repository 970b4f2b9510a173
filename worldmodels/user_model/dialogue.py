"""Dialogue as a game, in the style of open_spiel's chat games, solved with CFR.

The assistant picks one candidate utterance (a content — an open question about the user's task,
or a confirmation of the most likely task — as a plain template or rewritten in a tone by the
language model). Chance draws the user's mood (patient or busy); the user, knowing its mood
and the utterance, answers or brushes the question off. Payoffs: the assistant gets the value of
the answer in the scene (the helper's value of that kind of question, in seconds, zero if the
utterance asks nothing) minus the time the question costs, plus the LLM's rating of the
utterance; the user gets the rating minus the effort of answering. The extensive-form game is
written in open_spiel's EFG format and solved with CFR; the assistant says the utterance its
average strategy favours.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass

import pyspiel
from open_spiel.python import policy as policy_lib
from open_spiel.python.algorithms import cfr

from worldmodels.language.base import LanguageModel

log = logging.getLogger(__name__)
TONES = ("polite", "direct")
TEMPLATES = {
    "open": "Which task are you working on?",
    "confirm": "Are you going to {top}?",
}
MOODS = {"patient": (0.7, 0.1), "busy": (0.3, 0.6)}  # probability, effort of answering
RATING_WEIGHT = 2.0  # seconds of outcome one point of rating (0..1) is worth to the assistant
BRUSH_OFF_AWKWARDNESS = 0.2


@dataclass(frozen=True)
class Utterance:
    """A candidate: what it asks (``content``), how (``tone``), the words, the LLM's rating."""

    content: str
    tone: str
    text: str
    rating: float = 0.5


class UtteranceProposer:
    """Candidate utterances and their ratings from a language model (few calls: one per
    content and tone, one to rate them all)."""

    def __init__(self, llm: LanguageModel, max_tokens: int = 24) -> None:
        self.llm, self.max_tokens = llm, max_tokens

    def propose(self, content: str, template: str) -> list[Utterance]:
        out = []
        for tone in TONES:
            prompt = (f"Rewrite the question so that it sounds {tone}. Keep it one short "
                      f"question.\nQuestion: {template}\nRewritten question:")  # fmt: skip
            text = self.llm.chat([{"role": "user", "content": prompt}], max_tokens=self.max_tokens)
            words = " ".join(text.text.strip().strip('"').split())
            out.append(Utterance(content, tone, words or template))
        return out

    def rate(self, utterances: list[Utterance]) -> list[Utterance]:
        """Each utterance with the model's 1-5 rating scaled to [0, 1] (one call, digits out;
        a reply without one digit per utterance keeps the neutral 0.5)."""
        listing = "\n".join(f"{i + 1}. {u.text}" for i, u in enumerate(utterances))
        prompt = (
            "Rate each message a robot could say to a person who is busy with a chore, "
            f"from 1 (rude or unclear) to 5 (polite and clear):\n{listing}\n"
            f"Reply with {len(utterances)} digits separated by spaces, nothing else."
        )
        messages = [{"role": "user", "content": prompt}]
        reply = self.llm.chat(messages, max_tokens=2 * len(utterances) + 2).text
        ratings = [(int(d) - 1) / 4 for d in re.findall(r"[1-5]", reply)]
        if len(ratings) != len(utterances):
            return utterances
        return [
            Utterance(u.content, u.tone, u.text, r)
            for u, r in zip(utterances, ratings, strict=True)
        ]


def efg_text(utterances: list[Utterance], values: Mapping[str, float], ask_cost: float) -> str:
    """The dialogue game in open_spiel's EFG format."""
    choices = " ".join(f'"u{i}"' for i in range(len(utterances)))
    lines = ['EFG 2 R "dialogue" { "assistant" "user" } ""',
             f'p "" 1 1 "assistant" {{ {choices} }} 0']  # fmt: skip
    outcome, user_infoset = 0, 0
    for i, u in enumerate(utterances):
        moods = " ".join(f'"{m}" {p}' for m, (p, _) in MOODS.items())
        lines.append(f'  c "" {i + 1} "" {{ {moods} }} 0')
        asks = "?" in u.text
        gain = values.get(u.content, 0.0) if asks else 0.0
        for mood, (_, effort) in MOODS.items():
            user_infoset += 1
            lines.append(f'    p "" 2 {user_infoset} "u{i}_{mood}" {{ "answer" "brush_off" }} 0')
            assistant_answer = gain - ask_cost + RATING_WEIGHT * u.rating
            assistant_brush = -ask_cost + RATING_WEIGHT * u.rating
            payoffs = ((assistant_answer, u.rating - effort),
                       (assistant_brush, -BRUSH_OFF_AWKWARDNESS))  # fmt: skip
            for a, b in payoffs:
                outcome += 1
                lines.append(f'      t "" {outcome} "" {{ {a:.6f} {b:.6f} }}')
    return "\n".join(lines) + "\n"


def solve(game: pyspiel.Game, iterations: int = 200) -> policy_lib.TabularPolicy:
    """CFR's average policy after ``iterations``."""
    solver = cfr.CFRSolver(game)
    for _ in range(iterations):
        solver.evaluate_and_update_policy()
    return solver.average_policy()


class DialogueGame:
    """Chooses what to say by solving the dialogue game (templates only without a proposer)."""

    def __init__(self, proposer: UtteranceProposer | None = None, iterations: int = 200) -> None:
        self.proposer, self.iterations = proposer, iterations
        self.last_candidates: list[Utterance] = []
        self.last_policy: list[float] = []  # the assistant's average strategy over them
        self.last_choice: Utterance | None = None
        self._cache: dict[str, list[Utterance]] = {}

    def candidates(self, top: str) -> list[Utterance]:
        """Each content as its plain template and, with a proposer, in each tone as the language
        model writes it (all rated by it); each distinct text once."""
        key = top
        if key not in self._cache:
            utterances: list[Utterance] = []
            for content, template in TEMPLATES.items():
                text = template.format(top=top)
                utterances.append(Utterance(content, "plain", text))
                if self.proposer is not None:
                    utterances += self.proposer.propose(content, text)
            distinct = list({u.text: u for u in reversed(utterances)}.values())[::-1]
            if self.proposer is not None:
                distinct = self.proposer.rate(distinct)
            self._cache[key] = distinct
        return self._cache[key]

    def choose(self, values: Mapping[str, float], ask_cost: float, top: str) -> Utterance:
        """The utterance the solved game's assistant strategy puts most weight on."""
        utterances = self.candidates(top)
        game = pyspiel.load_efg_game(efg_text(utterances, values, ask_cost))
        average = solve(game, self.iterations)
        root = game.new_initial_state()
        probs = average.action_probabilities(root)
        self.last_candidates = utterances
        self.last_policy = [float(probs[a]) for a in range(len(utterances))]
        self.last_choice = utterances[max(probs, key=probs.get)]
        for u, p in zip(utterances, self.last_policy, strict=True):
            log.info("candidate %r (%s, %s, rating %.2f): CFR %.3f", u.text, u.content, u.tone,
                     u.rating, p)  # fmt: skip
        return self.last_choice
