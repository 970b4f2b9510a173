"""A research run's search tree, read from its append-only ``journal.jsonl``.

The journal has ``execution`` records (a solution's code, plan, scores, times, stderr) and
``node`` records (the search tree's node id of an execution). Lines are parsed once: a read
parses only what was appended since the last one, so a live tree costs little per refresh.
"""

from __future__ import annotations

import difflib
import json
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any

from runkit.dashboard.runs import read_json

JOURNAL = "journal.jsonl"
TEXT_LIMIT = 20_000  # characters of stdout/stderr shown per node (the tail)
MINIMIZED = ("rmse", "mse", "mae", "loss", "error", "logloss", "log_loss", "time", "seconds")


def _light(record: dict[str, Any], node_id: int) -> dict[str, Any]:
    metrics = record.get("metrics") or {}
    parents = record.get("parents") or []
    return {
        "id": node_id,
        "key": record.get("key"),
        "parents": parents,
        "operator": record.get("operator"),
        "score": metrics.get("val_score"),
        "buggy": bool(record.get("is_buggy")),
        "timed_out": bool(record.get("timed_out")),
        "exec_time": record.get("exec_time"),
        "finished_at": record.get("finished_at"),
    }


class JournalView:
    """The nodes of one journal, parsed incrementally as the file grows."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._offset = 0
        self._executions: dict[str, dict[str, Any]] = {}
        self._node_keys: dict[int, str] = {}
        self._nodes: list[dict[str, Any]] = []  # light nodes in the order they were added
        self._pending: dict[int, str] = {}  # node records whose execution is not read yet

    def refresh(self) -> None:
        with self._lock:
            try:
                size = self.path.stat().st_size
            except OSError:
                return
            if size < self._offset:  # replaced: read again from the start
                self.__init__(self.path)  # type: ignore[misc]
                return self.refresh()
            if size == self._offset:
                return
            with self.path.open("rb") as f:
                f.seek(self._offset)
                chunk = f.read(size - self._offset)
            complete = chunk.rfind(b"\n") + 1  # a line still being written waits
            for line in chunk[:complete].splitlines():
                try:
                    record = json.loads(line)
                except ValueError:
                    continue
                if not isinstance(record, dict):
                    continue
                if record.get("kind") == "execution" and isinstance(record.get("key"), str):
                    self._executions.setdefault(record["key"], record)
                elif record.get("kind") == "node" and isinstance(record.get("id"), int):
                    self._pending[record["id"]] = str(record.get("key"))
            self._offset += complete
            for node_id, key in sorted(self._pending.items()):
                if key in self._executions and node_id not in self._node_keys:
                    self._node_keys[node_id] = key
                    self._nodes.append(_light(self._executions[key], node_id))
            self._pending = {i: k for i, k in self._pending.items() if i not in self._node_keys}

    def nodes(self, since: int = 0) -> list[dict[str, Any]]:
        """Light nodes (no code or output), from the ``since``-th one added."""
        self.refresh()
        return self._nodes[since:]

    def execution(self, node_id: int) -> dict[str, Any] | None:
        self.refresh()
        key = self._node_keys.get(node_id)
        return None if key is None else self._executions[key]


# the journals read last (each holds its solutions' code in memory), least recently used dropped
MAX_VIEWS = 16
_views: OrderedDict[Path, JournalView] = OrderedDict()
_views_lock = threading.Lock()


def journal_view(run_dir: Path) -> JournalView:
    """The (cached) journal view of the research run in ``run_dir``."""
    path = run_dir / JOURNAL
    with _views_lock:
        if path not in _views:
            _views[path] = JournalView(path)
            while len(_views) > MAX_VIEWS:
                _views.popitem(last=False)
        _views.move_to_end(path)
        return _views[path]


def _tail(path: Path, limit: int = TEXT_LIMIT) -> dict[str, Any] | None:
    try:
        size = path.stat().st_size
        with path.open("rb") as f:
            f.seek(max(0, size - 4 * limit))
            text = f.read().decode(errors="replace")
    except OSError:
        return None
    truncated = size > 4 * limit or len(text) > limit
    return {"text": text[-limit:], "truncated": truncated, "bytes": size}


def direction(run_dir: Path, metric: str | None) -> str:
    """``maximize`` or ``minimize``: from metrics.json once written, else from the metric name."""
    metrics = read_json(run_dir / "metrics.json")
    if isinstance(metrics, dict) and metrics.get("direction") in ("maximize", "minimize"):
        return metrics["direction"]
    name = (metric or "").lower()
    return "minimize" if any(word in name for word in MINIMIZED) else "maximize"


def tree(run_dir: Path, since: int = 0) -> dict[str, Any]:
    """The nodes added since the ``since``-th, and what colours them."""
    view = journal_view(run_dir)
    nodes = view.nodes(since)
    every = view.nodes(0)
    first = view.execution(every[0]["id"]) if every else None
    metric = ((first or {}).get("metrics") or {}).get("metric")
    metrics = read_json(run_dir / "metrics.json")
    return {
        "since": since,
        "nodes": nodes,
        "metric": metric,
        "direction": direction(run_dir, metric),
        "selection": metrics.get("selection") if isinstance(metrics, dict) else None,
        "best_node": metrics.get("best_node") if isinstance(metrics, dict) else None,
    }


def node_detail(run_dir: Path, node_id: int) -> dict[str, Any] | None:
    """Everything about one node: plan, code, diff to its parent, output tails, scores, times."""
    view = journal_view(run_dir)
    record = view.execution(node_id)
    if record is None:
        return None
    parents = record.get("parents") or []
    parent = view.execution(parents[0]) if parents else None
    code = str(record.get("code") or "")
    diff = None
    if parent is not None:
        diff = "".join(
            difflib.unified_diff(
                str(parent.get("code") or "").splitlines(keepends=True),
                code.splitlines(keepends=True),
                f"node {parents[0]}",
                f"node {node_id}",
            )
        )
    logs = run_dir / "nodes" / str(record.get("key")) / "logs"
    stderr = _tail(logs / "stderr.txt") or {
        "text": str(record.get("stderr") or "")[-TEXT_LIMIT:],
        "truncated": False,
    }
    keep = (
        "operator",
        "plan",
        "metrics",
        "exec_time",
        "grade_time",
        "startup_time",
        "exit_code",
        "timed_out",
        "is_buggy",
        "error",
        "files",
        "isolation",
        "analysis",
        "finished_at",
        "key",
    )
    return {
        "id": node_id,
        "parents": parents,
        **{k: record.get(k) for k in keep},
        "code": code,
        "diff": diff,
        "stdout": _tail(logs / "stdout.txt"),
        "stderr": stderr,
    }
