"""The helper with the solved multi-turn dialogue game against the one-move dialogue game.

Same seeds, same simulated user as ``benchmarks/user_model_helping.py`` (whose helpers and
episode loop it reuses): the user alone, the oracle, and the inferring helper with each
dialogue policy. Reports the Watch-And-Help speedup (steps alone / steps helped), success,
questions per episode, and the NashConv of the multi-turn games solved (0 at an equilibrium).
The language model's proposals are cached in a JSON file and its replies in SQLite next to it,
so reruns are reproducible and fast.
Usage: python benchmarks/dialogue_helping.py [--episodes N] [--llm embedded|none] [--turns T]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import time
from pathlib import Path

import numpy as np
import torch
from machine import machine_info
from user_model_helping import HELPERS

from embodied.agents.helper import HelperAgent
from embodied.envs.help_household import HelpHouseholdEnv
from embodied.runner import run_episode
from worldmodels.language.base import LanguageModel


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
    parser.add_argument(
        "--proposals", type=Path, default=Path("outputs/dialogue_helping/proposals.json")
    )
    args = parser.parse_args()
    torch.set_num_threads(1)
    llm = language_model(args.llm, args.proposals.with_suffix(".sqlite"))
    helpers = {
        "none": HELPERS["none"],
        "oracle": HELPERS["oracle"],
        "one_move": dataclasses.replace(HELPERS["infer"], llm=llm),
        "multi_turn": dataclasses.replace(
            HELPERS["infer"],
            llm=llm,
            dialogue_turns=args.turns,
            proposals_path=str(args.proposals),
        ),
    }
    env = HelpHouseholdEnv()
    seeds = range(1000, 1000 + args.episodes)
    lengths: dict[str, list[int]] = {}
    success: dict[str, list[bool]] = {}
    questions: dict[str, float] = {}
    seconds: dict[str, float] = {}
    nash_convs: list[float] = []
    for name, helper in helpers.items():
        agent = HelperAgent(env, dataclasses.replace(helper, num_particles=args.particles))
        start, asked = time.perf_counter(), 0
        for seed in seeds:
            agent.dialogue.last = None
            result = run_episode(env, agent, seed=seed)
            lengths.setdefault(name, []).append(result.length)
            success.setdefault(name, []).append(bool(result.success))
            asked += agent.questions
            if name == "multi_turn" and agent.dialogue.last is not None:
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
