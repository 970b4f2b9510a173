"""Per-step records of episodes: reward, measures and the agent's reasoning, as ``steps.jsonl``.

One JSON object a line: ``{"episode", "step", "reward", "return", "measures", "explain"}``.
Step k is the k-th action (k >= 1); frame k of the episode's video shows the world after it
(frame 0 is the reset). ``explain`` is the agent's ``explain()`` (see
:class:`embodied.agents.base.Agent`) cleaned by :func:`clean_explanation`: only the known keys,
finite numbers, strings cut to :data:`MAX_TEXT` characters, at most :data:`MAX_GOALS` goals, so
an agent (or the language model behind its questions) cannot make a line large or non-JSON.
:class:`StepWriter` stops after :data:`MAX_LINES` lines, so the file stays bounded.
"""

from __future__ import annotations

import json
import logging
import math
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

STEPS_FILE = "steps.jsonl"
MAX_TEXT = 300  # characters of a question, answer or plan
MAX_NAME = 64  # characters of a goal or measure name
MAX_GOALS = 32
MAX_MEASURES = 32
MAX_LINES = 200_000  # about 60 MB at the largest line size
TEXT_KEYS = ("question", "answer", "plan")


def _text(value: Any, limit: int) -> str:
    text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _number(value: Any) -> float | None:
    """``value`` as a finite float, or None when it is not a finite real number."""
    if isinstance(value, bool | np.bool_):
        return float(value)
    if not isinstance(value, int | float | np.integer | np.floating):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def clean_explanation(raw: Any) -> dict[str, Any] | None:
    """The known keys of an agent's explanation, bounded and JSON-safe (None when none)."""
    if not isinstance(raw, dict):
        return None
    out: dict[str, Any] = {}
    posterior = raw.get("posterior")
    if isinstance(posterior, dict):
        cleaned = {}
        for name, p in list(posterior.items())[:MAX_GOALS]:
            value = _number(p)
            if value is not None:
                cleaned[_text(name, MAX_NAME)] = round(min(max(value, 0.0), 1.0), 4)
        out["posterior"] = cleaned
    for key in TEXT_KEYS:
        if raw.get(key) is not None:
            out[key] = _text(raw[key], MAX_TEXT)
    return out or None


def step_measures(info: dict[str, Any]) -> dict[str, float]:
    """The numeric (and boolean, as 0/1) entries of a step's ``info``: the task's measures."""
    out: dict[str, float] = {}
    for key, value in info.items():
        number = _number(value)
        if number is not None:
            out[_text(key, MAX_NAME)] = round(number, 6)
            if len(out) >= MAX_MEASURES:
                break
    return out


def step_record(
    step: int, reward: float, total: float, info: dict[str, Any], explanation: Any
) -> dict[str, Any]:
    """The record of step ``step`` (without its episode number)."""
    return {
        "step": step,
        "reward": _number(reward),
        "return": _number(total),
        "measures": step_measures(info),
        "explain": clean_explanation(explanation),
    }


class StepWriter:
    """Writes step records to a new ``steps.jsonl`` (emptied on creation), episode by episode,
    at most :data:`MAX_LINES` lines in all."""

    def __init__(self, path: str | Path, max_lines: int = MAX_LINES) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_bytes(b"")
        self.max_lines = max_lines
        self.lines = 0
        self.full = False  # the limit was reached (warned once)

    def write(self, episode: int, steps: list[dict[str, Any]]) -> None:
        """Append the steps of ``episode`` (one line each), up to the file's limit."""
        room = self.max_lines - self.lines
        if len(steps) > room and not self.full:
            self.full = True
            log.warning(
                "%s: holds %d lines, the limit; steps after it are not recorded",
                self.path.name,
                self.max_lines,
            )
        lines = [
            json.dumps({"episode": episode, **step}, allow_nan=False)
            for step in steps[: max(room, 0)]
        ]
        if not lines:
            return
        with self.path.open("a", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")
        self.lines += len(lines)
