"""Run folders in the entry points' formats (run_status.json, .hydra/overrides.yaml, metrics.json,
journal.jsonl), written directly: for the dashboard's fast tests and its speed benchmark."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import yaml

from runkit.status import STATUS_FILE


def write_run(
    folder: Path,
    entry_point: str,
    status: str | None = "finished",
    metrics: dict[str, Any] | None = None,
    overrides: list[str] | None = None,
    pid: int | None = None,
    started: float | None = None,
) -> Path:
    """A run folder as an entry point leaves it: .hydra/overrides.yaml, config.yaml, run.log,
    run_status.json (``status=None``: none) and metrics.json (when given)."""
    (folder / ".hydra").mkdir(parents=True, exist_ok=True)
    (folder / ".hydra" / "overrides.yaml").write_text(yaml.safe_dump(overrides or []))
    (folder / "config.yaml").write_text("run:\n  seed: 0\n")
    (folder / "run.log").write_text("INFO started\n")
    started = time.time() - 60 if started is None else started
    if status is not None:
        record = {
            "status": status,
            "entry_point": entry_point,
            "pid": pid or os.getpid(),
            "host": os.uname().nodename,
            "started_at": started,
        }
        if status != "running":
            record["ended_at"] = started + 30
        (folder / STATUS_FILE).write_text(json.dumps(record))
    if metrics is not None:
        (folder / "metrics.json").write_text(json.dumps(metrics))
    return folder


def execution(
    key: str,
    node_id: int,
    parent: int | None,
    score: float | None,
    t: float,
    code: str | None = None,
) -> list[dict[str, Any]]:
    """The journal's execution and node records of one solution."""
    return [
        {
            "kind": "execution",
            "key": key,
            "operator": "draft" if parent is None else "improve",
            "parents": [] if parent is None else [parent],
            "code": code or _code(node_id),
            "plan": f"plan of node {node_id}",
            "metrics": {"val_score": score, "metric": "accuracy"},
            "exec_time": 1.0,
            "grade_time": 0.01,
            "startup_time": 0.0,
            "exit_code": 0 if score is not None else 1,
            "timed_out": False,
            "is_buggy": score is None,
            "error": None if score is not None else "exit code 1",
            "stderr": "",
            "files": [],
            "isolation": "none",
            "analysis": None,
            "finished_at": t,
        },
        {"kind": "node", "id": node_id, "key": key},
    ]


def _code(node_id: int) -> str:
    """About 2 kB of solution code, like the programmatic operators' solutions."""
    body = "".join(f"    x{i} = features[:, {i}] * {node_id % 7 + i}\n" for i in range(60))
    return f"CONFIG = {{'C': {node_id}}}\n\ndef fit(features):\n{body}    return x0\n"


def write_journal(path: Path, records: list[dict[str, Any]], mode: str = "w") -> None:
    with path.open(mode) as f:
        for record in records:
            f.write(json.dumps(record, sort_keys=True) + "\n")


def research_tree(folder: Path, nodes: int, seed: int = 0) -> Path:
    """A research run folder with a journal of ``nodes`` solutions in a random tree."""
    import random

    rng = random.Random(seed)
    write_run(folder, "research", status="running", overrides=["search=mcts"])
    start = time.time() - nodes
    records: list[dict[str, Any]] = []
    for i in range(nodes):
        parent = None if i < 5 else rng.randrange(i)
        score = None if rng.random() < 0.15 else round(rng.random(), 4)
        records += execution(f"k{i:05d}", i, parent, score, start + i)
    write_journal(folder / "journal.jsonl", records)
    return folder
