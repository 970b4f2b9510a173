"""A run survives being killed, and hostile solutions do not stop it."""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from research_agent.journal import Journal
from research_agent.operators import BACKENDS, Candidate, ProgrammaticOperators
from research_agent.run import research
from research_agent.tasks import Task
from tests.research_agent.hostile import HOSTILE
from tests.research_agent.test_search import executions_per_key, research_cfg

STEPS = ["task=wine", "budget.steps=6", "search.num_drafts=2"]


def test_resume_after_kill_loses_no_finished_node(wine: Task, tasks_dir: Path, tmp_path: Path):
    run_dir = tmp_path / "killed"
    cmd = [sys.executable, "-m", "research_agent.run", *STEPS, f"tasks_dir={tasks_dir}",
           "run.progress=false", f"hydra.run.dir={run_dir}"]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)  # fmt: skip
    deadline = time.monotonic() + 90
    while sum(executions_per_key(run_dir).values()) < 3 and time.monotonic() < deadline:
        time.sleep(0.1)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    before = executions_per_key(run_dir)
    assert len(before) >= 3 and not (run_dir / "metrics.json").exists()

    resumed = research(research_cfg(tasks_dir, [*STEPS, "resume=true"]), run_dir)
    reference = research(research_cfg(tasks_dir, STEPS), tmp_path / "reference")
    after = executions_per_key(run_dir)
    assert resumed["nodes"] == 6 and set(after.values()) == {1}
    assert set(before) <= set(after) == set(executions_per_key(tmp_path / "reference"))
    assert resumed["best_val_score"] == reference["best_val_score"]
    assert resumed["test_score"] == reference["test_score"]


@dataclass
class HostileOperators(ProgrammaticOperators):
    """Drafts every hostile solution once (paths filled from ``targets``), then real ones."""

    targets: dict[str, str] = field(default_factory=dict)
    _queue: itertools.count = field(default_factory=itertools.count)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def draft(self, task: Task, rng: np.random.Generator) -> Candidate:
        with self._lock:
            index = next(self._queue)
        names = sorted(HOSTILE)
        if index < len(names):
            return Candidate(
                HOSTILE[names[index]].format(**self.targets), f"hostile {names[index]}"
            )
        return super().draft(task, rng)


def test_hostile_solutions_are_recorded_buggy_and_the_run_goes_on(
    wine: Task, tasks_dir: Path, tmp_path: Path, monkeypatch
):
    targets = {
        "labels": str(wine.private_dir / "test_labels.npy"),
        "journal": str(tmp_path / "journal.jsonl"),
        "outside": str(tmp_path / "outside.txt"),
    }
    hostile = lambda context, **kw: HostileOperators(**kw, targets=targets)  # noqa: E731
    monkeypatch.setitem(BACKENDS, "hostile", hostile)
    overrides = ["task=wine", f"budget.steps={len(HOSTILE) + 2}", "workers=2",
                 f"search.num_drafts={len(HOSTILE) + 1}", "search.debug_prob=0",
                 "operators.backend=hostile", "sandbox.time_limit_s=8",
                 "sandbox.memory_mb=1536", "sandbox.nproc=32",
                 "start_from_baseline=false"]  # fmt: skip
    metrics = research(research_cfg(tasks_dir, overrides), tmp_path)
    assert metrics["nodes"] == len(HOSTILE) + 2
    records = [r for r in Journal(tmp_path / "journal.jsonl").records() if r["kind"] == "execution"]
    hostile_runs = {
        r["plan"].removeprefix("hostile "): r for r in records if r["plan"].startswith("hostile ")
    }
    assert sorted(hostile_runs) == sorted(HOSTILE)
    scored = {name: {k: r[k] for k in ("metrics", "exit_code", "isolation", "files", "stderr")}
              for name, r in hostile_runs.items() if not r["is_buggy"]}  # fmt: skip
    assert not scored, f"hostile solutions that were scored: {scored}"
    assert metrics["buggy_nodes"] == len(HOSTILE)
    assert metrics["best_val_score"] is not None and metrics["test_score"] is not None
    assert sum(executions_per_key(tmp_path).values()) == len(HOSTILE) + 2  # journal intact
    assert not (tmp_path / "outside.txt").exists()
