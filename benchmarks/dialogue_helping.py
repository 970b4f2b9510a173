"""The helper with the solved multi-turn dialogue game against the one-move dialogue game.

Same seeds, same simulated user as ``benchmarks/user_model_helping.py`` (whose helpers and
episode loop it reuses): the user alone, the oracle, and the inferring helper with each
dialogue policy. ``--user terse`` swaps in :class:`TerseUser`, a user with a private mood whose
busy self (30% of episodes, the game's prior) answers an open question with the target place
only (two tasks share each) and a confirmation with a bare yes or no: one question leaves two
goals apart, a second separates them. Reports the Watch-And-Help speedup (steps alone /
steps helped), success, questions per episode, and the NashConv of the multi-turn games
solved (0 at an equilibrium).
The language model's proposals are cached in a JSON file and its replies in SQLite next to it,
so reruns are reproducible and fast.
Usage: python benchmarks/dialogue_helping.py [--episodes N] [--llm embedded|none] [--turns T]
       [--user truthful|terse]
"""

from __future__ import annotations

import argparse
import json
import os
import time
import zlib
from pathlib import Path

import numpy as np
import torch
from machine import machine_info
from user_model_helping import HELPERS

from embodied.agents.helper import HelperAgent
from embodied.envs.help_household import HelpHouseholdEnv
from embodied.envs.user_goals import SimulatedUser
from embodied.runner import run_episode
from worldmodels.language.base import LanguageModel
from worldmodels.user_model.dialogue_game import MOOD_PRIOR
from worldmodels.user_model.helping import place_answer, read_answer
from worldmodels.user_model.household import UserTask, World


class TerseUser(SimulatedUser):
    """The simulated user with a private mood, drawn per episode from its task and layout (so
    the same seed gives the same mood): patient, it answers as :class:`SimulatedUser` does;
    busy (``busy_prob``), it names only where things go to an open question and says a bare
    yes or no to a confirmation (a question that names a task)."""

    def __init__(self, *args: float, busy_prob: float = MOOD_PRIOR["busy"]) -> None:
        super().__init__(*args)
        if not 0 <= busy_prob <= 1:
            raise ValueError(f"busy_prob={busy_prob} must be in [0, 1]")
        self.busy_prob, self.mood = busy_prob, "patient"

    def reset(self, goal: UserTask, world: World) -> None:
        super().reset(goal, world)
        draw = zlib.crc32(repr((goal.name, world.where)).encode()) / 2**32
        self.mood = "busy" if draw < self.busy_prob else "patient"

    def answer(self, question: str, rng: np.random.Generator) -> str:
        if self.mood == "patient":
            return super().answer(question, rng)
        self.questions.append(question)
        confirms = read_answer(question)
        if confirms is not None:
            return "Yes." if confirms == self.task.name else "No."
        return place_answer(self.task.target)


def language_model(name: str, cache: Path) -> LanguageModel | None:
    """The embedded SmolLM2 (offline, its replies cached in ``cache``), or None: templates."""
    if name == "none":
        return None
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from worldmodels.language.embedded import EmbeddedModel

    return EmbeddedModel(device="cpu", dtype="float32", cache_path=str(cache))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=20)
    parser.add_argument("--particles", type=int, default=256)
    parser.add_argument("--turns", type=int, default=2)
    parser.add_argument("--llm", choices=("embedded", "none"), default="embedded")
    parser.add_argument("--user", choices=("truthful", "terse"), default="truthful")
    parser.add_argument("--only", nargs="*", default=None, help="helpers besides none, oracle")
    parser.add_argument(
        "--proposals", type=Path, default=Path("outputs/dialogue_helping/proposals.json")
    )
    args = parser.parse_args()
    torch.set_num_threads(1)
    llm = language_model(args.llm, args.proposals.with_suffix(".sqlite"))
    multi = {"llm": llm, "dialogue_turns": args.turns, "proposals_path": str(args.proposals)}
    helpers = {
        "none": HELPERS["none"],
        "oracle": HELPERS["oracle"],
        "one_move": {**HELPERS["infer"], "llm": llm},
        "multi_turn": {**HELPERS["infer"], **multi},
        # the game's busy user minds only the time a question takes (as TerseUser does)
        "multi_turn_calm": {**HELPERS["infer"], **multi, "busy_annoyance": 0.0},
    }
    if args.only is not None:
        helpers = {n: h for n, h in helpers.items() if n in {"none", "oracle", *args.only}}
    env = HelpHouseholdEnv()
    if args.user == "terse":
        u = env.user
        env.user = TerseUser(u.rationality, u.noise, u.answer_error, u.change_mind_prob)
    moods: list[str] = []
    seeds = range(1000, 1000 + args.episodes)
    lengths: dict[str, list[int]] = {}
    success: dict[str, list[bool]] = {}
    questions: dict[str, float] = {}
    seconds: dict[str, float] = {}
    nash_convs: list[float] = []
    for name, helper in helpers.items():
        agent = HelperAgent(env, num_particles=args.particles, **helper)
        start, asked = time.perf_counter(), 0
        for seed in seeds:
            agent.dialogue.last = None
            result = run_episode(env, agent, seed=seed)
            lengths.setdefault(name, []).append(result.length)
            success.setdefault(name, []).append(bool(result.success))
            asked += agent.questions
            if name == "none":
                moods.append(getattr(env.user, "mood", "patient"))
            if name.startswith("multi_turn") and agent.dialogue.last is not None:
                nash_convs.append(agent.dialogue.last.nash_conv)
        seconds[name] = time.perf_counter() - start
        questions[name] = asked / args.episodes
    alone = np.array(lengths["none"], dtype=float)
    speedup = {n: float(np.mean(alone / np.array(v))) for n, v in lengths.items()}
    oracle_gain = speedup["oracle"] - 1.0
    print(json.dumps({
        "benchmark": "dialogue_helping",
        "machine": machine_info(torch.device("cpu")),
        "episodes": args.episodes,
        "particles": args.particles,
        "turns": args.turns,
        "llm": args.llm,
        "user": args.user,
        "busy_episodes": moods.count("busy"),
        "success_rate": {n: float(np.mean(v)) for n, v in success.items()},
        "mean_steps": {n: float(np.mean(v)) for n, v in lengths.items()},
        "speedup": speedup,
        "gain_vs_oracle_gain": {n: (s - 1.0) / oracle_gain for n, s in speedup.items()},
        "questions_per_episode": questions,
        "multi_turn_nash_conv": {
            "games": len(nash_convs),
            "mean": float(np.mean(nash_convs)) if nash_convs else None,
            "max": float(np.max(nash_convs)) if nash_convs else None,
        },
        "seconds": seconds,
    }, indent=1))  # fmt: skip


if __name__ == "__main__":
    main()
