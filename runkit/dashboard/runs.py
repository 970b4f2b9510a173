"""The runs index: find every run folder under the roots and summarise it from its own records.

A summary holds the run's status (running, finished, failed, killed), entry point, overrides,
main metric, start and duration. Summaries are cached by the size and mtime of the files they
are read from, so a refresh of 1,000 runs costs a few thousand ``stat`` calls.
"""

from __future__ import annotations

import json
import os
import socket
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from runkit.dashboard.paths import RUN_MARKERS, Roots
from runkit.status import STATUS_FILE

# how deep under a root run folders are looked for (outputs/research/<task>/<time>: 3;
# multirun/<entry point>/<time>/<job>: 3)
MAX_DEPTH = 5
# a run without a status record that has written nothing for this long is taken as killed
QUIET_SECONDS = 120.0
# the main metric of each entry point, the first found in metrics.json wins
MAIN_METRICS: dict[str, tuple[str, ...]] = {
    "research": ("test_score", "best_val_score"),
    "episode": ("return_mean", "success_rate"),
    "train_worldmodel": ("final_losses.total", "final_losses.consistency"),
    "leaderboard": ("runs",),
    "deploy": ("latency_ms.p50", "latency_ms.mean", "steps"),
}
# the files a summary is read from: it is read again when one of them changes size or mtime
WATCHED = (STATUS_FILE, "metrics.json", "run.log", "journal.jsonl")
HOST = socket.gethostname()
DATE_FORMAT = "%Y-%m-%d_%H-%M-%S"


def find_runs(roots: Roots) -> list[Path]:
    """Every run folder under the roots (a run folder's own subfolders are not searched)."""
    found: list[Path] = []

    def walk(folder: Path, depth: int) -> None:
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            return
        for entry in entries:
            if not entry.is_dir(follow_symlinks=False) or entry.name.startswith("."):
                continue
            if any(os.path.exists(f"{entry.path}/{marker}") for marker in RUN_MARKERS):
                found.append(Path(entry.path))
            elif depth < MAX_DEPTH:
                walk(Path(entry.path), depth + 1)

    for root in roots.folders.values():
        walk(root, 1)
    return found


def flatten(data: Any, prefix: str = "") -> dict[str, Any]:
    """``{"a": {"b": 1}}`` as ``{"a.b": 1}``; lists of scalars are kept as values."""
    if isinstance(data, dict):
        flat: dict[str, Any] = {}
        for key, value in data.items():
            flat.update(flatten(value, f"{prefix}{key}."))
        return flat
    return {prefix[:-1]: data}


def read_json(path: Path) -> Any:
    """The JSON in ``path``, or None when it is missing, being written or not JSON."""
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` lives on this host (a zombie does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


def _mtime(path: Path) -> float | None:
    try:
        return path.stat().st_mtime
    except OSError:
        return None


def _log_failed(path: Path) -> str | None:
    """The last error line of ``run.log`` when the run logged a traceback, else None."""
    try:
        with path.open("rb") as f:
            f.seek(max(0, f.seek(0, os.SEEK_END) - 8192))
            tail = f.read().decode(errors="replace")
    except OSError:
        return None
    if "Traceback" not in tail and "Error executing job" not in tail:
        return None
    lines = [line for line in tail.splitlines() if line.strip()]
    return lines[-1][:300] if lines else "error"


def run_status(folder: Path, status: dict[str, Any] | None, now: float) -> tuple[str, str]:
    """The run's status and why, from its status record or, lacking one, its files."""
    if status and status.get("status") in ("running", "finished", "failed", "killed"):
        state = status["status"]
        if state == "running" and status.get("host") == HOST and not pid_alive(status["pid"]):
            return "killed", f"its process {status['pid']} is gone"
        reason = {"running": f"process {status.get('pid')} on {status.get('host')}"}.get(
            state, status.get("error") or ""
        )
        return state, reason
    if (folder / "metrics.json").is_file():
        return "finished", "it wrote metrics.json"
    error = _log_failed(folder / "run.log")
    if error:
        return "failed", error
    last = max(filter(None, (_mtime(folder / name) for name in WATCHED)), default=None)
    if last is not None and now - last < QUIET_SECONDS:
        return "running", "no status record; it wrote files in the last 2 minutes"
    return "killed", "no status record, no metrics.json and no writes for 2 minutes"


def _start_from_name(folder: Path) -> float | None:
    for name in (folder.name, folder.parent.name):
        try:
            return datetime.strptime(name, DATE_FORMAT).timestamp()
        except ValueError:
            continue
    return None


def run_kind(entry_point: str, folder: Path) -> str:
    """Which page shows the run: research, episode, train_worldmodel, leaderboard, deploy or
    run (generic)."""
    if entry_point in MAIN_METRICS:
        return entry_point
    if (folder / "journal.jsonl").is_file():
        return "research"
    if (folder / "videos").is_dir():
        return "episode"
    if (folder / "leaderboard.json").is_file():
        return "leaderboard"
    return "run"


def main_metric(entry_point: str, metrics: dict[str, Any] | None) -> dict[str, Any] | None:
    """``{"name", "value"}`` of the run's main metric (None when metrics.json has none)."""
    if not metrics:
        return None
    flat = flatten(metrics)
    for name in MAIN_METRICS.get(entry_point, ()):
        value = flat.get(name)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return {"name": name, "value": value}
    for name, value in flat.items():
        if isinstance(value, int | float) and not isinstance(value, bool):
            return {"name": name, "value": value}
    return None


@dataclass
class _Cached:
    signature: tuple
    summary: dict[str, Any]


class RunIndex:
    """Summaries of every run under the roots, cached by the files they come from."""

    def __init__(self, roots: Roots, hide: tuple[str, ...] = ()) -> None:
        self.roots = roots
        self.hide = set(hide)
        self._cache: dict[Path, _Cached] = {}

    def runs(self) -> list[dict[str, Any]]:
        """The summary of every run, newest first."""
        now = time.time()
        out = []
        for folder in find_runs(self.roots):
            summary = self.summary(folder, now)
            if summary["entry_point"] not in self.hide:
                out.append(summary)
        out.sort(key=lambda s: -(s["started"] or 0))
        return out

    def summary(self, folder: Path, now: float | None = None) -> dict[str, Any]:
        """The summary of the run in ``folder`` (status re-checked on every call)."""
        now = time.time() if now is None else now
        base = str(folder)
        signature = tuple(self._stat(f"{base}/{name}") for name in WATCHED)
        cached = self._cache.get(folder)
        if cached is None or cached.signature != signature:
            cached = _Cached(signature, self._read(folder))
            self._cache[folder] = cached
        summary = dict(cached.summary)
        status, reason = run_status(folder, summary.pop("_status_record"), now)
        started, ended = summary["started"], summary.pop("_ended")
        last_write = max(filter(None, (s[1] for s in signature if s)), default=None)
        end = now if status == "running" else ended or last_write
        summary.update(
            status=status,
            status_reason=reason,
            duration=None if started is None or end is None else max(0.0, end - started),
        )
        return summary

    @staticmethod
    def _stat(path: str) -> tuple[int, float] | None:
        try:
            stat = os.stat(path)
        except OSError:
            return None
        return (stat.st_size, stat.st_mtime)

    def _read(self, folder: Path) -> dict[str, Any]:
        status = read_json(folder / STATUS_FILE)
        status = status if isinstance(status, dict) else None
        relative = self.roots.relative(folder)
        parts = relative.split("/")
        entry_point = (status or {}).get("entry_point") or (parts[1] if len(parts) > 2 else "?")
        metrics = read_json(folder / "metrics.json")
        metrics = metrics if isinstance(metrics, dict) else None
        try:
            overrides = yaml.load(
                (folder / ".hydra" / "overrides.yaml").read_text(), Loader=yaml.CSafeLoader
            )
        except (OSError, yaml.YAMLError, AttributeError):
            overrides = None
        started = (status or {}).get("started_at") or _start_from_name(folder)
        if started is None:
            started = _mtime(folder / "config.yaml")
        return {
            "id": relative,
            "entry_point": entry_point,
            "kind": run_kind(entry_point, folder),
            "overrides": [str(o) for o in overrides] if isinstance(overrides, list) else [],
            "metric": main_metric(entry_point, metrics),
            "started": started,
            "_ended": (status or {}).get("ended_at"),
            "_status_record": status,
        }
