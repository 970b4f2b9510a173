"""An episode run's per-step records (``steps.jsonl``, written by ``python -m embodied.episode``)
for the episode view: reward, return, measures and the agent's reasoning per step.

The file is untrusted input: it is read up to :data:`MAX_BYTES`, lines longer than
:data:`MAX_LINE` or not JSON objects are skipped, and every value is re-typed (numbers must be
finite, text is cut to :data:`MAX_TEXT` characters), so what reaches the page is small and
plain. Parsed files are cached by size and mtime, so scrubbing between episodes costs nothing.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

STEPS_FILE = "steps.jsonl"
MAX_BYTES = 64 * 1024 * 1024
MAX_LINE = 64 * 1024
MAX_STEPS = 20_000  # per episode
MAX_TEXT = 1000
MAX_KEYS = 64
_CACHE_ENTRIES = 4
_cache: dict[Path, tuple[tuple[int, float], dict[int, list[dict[str, Any]]], bool]] = {}


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float) and math.isfinite(value):
        return float(value)
    return None


def _text(value: Any) -> str | None:
    return None if value is None else str(value)[:MAX_TEXT]


def _numbers(data: Any) -> dict[str, float]:
    if not isinstance(data, dict):
        return {}
    out = {}
    for key, value in list(data.items())[:MAX_KEYS]:
        number = _number(value)
        if number is not None:
            out[str(key)[:MAX_TEXT]] = number
    return out


def clean_step(record: dict[str, Any]) -> dict[str, Any] | None:
    """A step record with only the known fields, re-typed (None when it has no step number)."""
    step = record.get("step")
    if not isinstance(step, int) or isinstance(step, bool) or step < 0:
        return None
    explain = record.get("explain")
    reasoning = None
    if isinstance(explain, dict):
        reasoning = {
            "posterior": _numbers(explain.get("posterior")),
            **{k: _text(explain.get(k)) for k in ("question", "answer", "plan")},
        }
    return {
        "step": step,
        "reward": _number(record.get("reward")),
        "return": _number(record.get("return")),
        "measures": _numbers(record.get("measures")),
        "explain": reasoning,
    }


def _parse(path: Path) -> tuple[dict[int, list[dict[str, Any]]], bool]:
    """Steps by episode, and whether the file was cut short (size or step limits)."""
    episodes: dict[int, list[dict[str, Any]]] = {}
    truncated = False
    with path.open("rb") as f:
        data = f.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        data, truncated = data[:MAX_BYTES], True
    for line in data.split(b"\n"):
        if not line.strip() or len(line) > MAX_LINE:
            continue
        try:
            record = json.loads(line)
        except ValueError:  # a line still being written, or not JSON
            continue
        if not isinstance(record, dict):
            continue
        episode = record.get("episode")
        step = clean_step(record)
        if not isinstance(episode, int) or isinstance(episode, bool) or step is None:
            continue
        steps = episodes.setdefault(episode, [])
        if len(steps) >= MAX_STEPS:
            truncated = True
            continue
        steps.append(step)
    return episodes, truncated


def episode_steps(run_dir: Path, episode: int) -> dict[str, Any]:
    """``{"episode", "steps", "truncated"}`` for ``episode`` of the run (no steps: ``[]``)."""
    path = run_dir / STEPS_FILE
    try:
        stat = os.stat(path)
    except OSError:
        return {"episode": episode, "steps": [], "truncated": False}
    if not path.is_file() or path.is_symlink():
        return {"episode": episode, "steps": [], "truncated": False}
    signature = (stat.st_size, stat.st_mtime)
    cached = _cache.get(path)
    if cached is None or cached[0] != signature:
        cached = (signature, *_parse(path))
        if len(_cache) >= _CACHE_ENTRIES:
            _cache.pop(next(iter(_cache)))
        _cache[path] = cached
    _, episodes, truncated = cached
    return {"episode": episode, "steps": episodes.get(episode, []), "truncated": truncated}
