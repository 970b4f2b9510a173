"""A run survives being killed, and hostile solutions do not stop it."""

from __future__ import annotations

import itertools
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
import yaml
from omegaconf import DictConfig, OmegaConf

from research_agent.journal import Journal
from research_agent.operators import BACKENDS, ProgrammaticOperators, ProposedSolution
from research_agent.preflight import check_task
from research_agent.resume import group_choices, resume_config, saved_config, with_run_groups
from research_agent.run import research
from research_agent.tasks import TaskFolder
from runkit import UsageError
from tests.hydra_compose import compose_config
from tests.research_agent.helpers import executions_per_key, research_cfg
from tests.research_agent.hostile import HOSTILE

# a run started with settings that differ from the defaults (task digits, greedy, seed 0)
STEPS = ["task=wine", "search=mcts", "search.num_children=2", "run.seed=1", "budget.steps=6",
         "selection.folds=1"]  # fmt: skip
README_RESUME = ["-m", "research_agent.run", "resume=true"]  # + hydra.run.dir=<run folder>


def run_entry_point(args: list[str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=300,
                          **kw)  # fmt: skip


def snapshot(run_dir: Path) -> dict[str, bytes]:
    """The bytes of the run's saved config and of hydra's record of its first start."""
    names = ["config.yaml", *(f".hydra/{n}" for n in ("config.yaml", "overrides.yaml"))]
    return {name: (run_dir / name).read_bytes() for name in names}


def searched(run_dir: Path) -> list[tuple]:
    """The run's journal as the search made it: node ids, job keys, code, scores, bugs."""
    return [(n["id"], n["key"], n["operator"], n["code"], n["metrics"].get("val_score"),
             n["is_buggy"]) for n in Journal(run_dir / "journal.jsonl").nodes()]  # fmt: skip


def test_a_killed_run_resumes_with_the_readme_command_as_if_never_killed(
    wine: TaskFolder, tasks_dir: Path, tmp_path: Path
):
    run_dir = tmp_path / "killed"
    cmd = [sys.executable, "-m", "research_agent.run", *STEPS, f"tasks_dir={tasks_dir}",
           "run.progress=false", f"hydra.run.dir={run_dir}"]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)  # fmt: skip
    deadline = time.monotonic() + 120
    while sum(executions_per_key(run_dir).values()) < 3 and time.monotonic() < deadline:
        time.sleep(0.1)
    os.killpg(proc.pid, signal.SIGKILL)  # kill -9 of the run and its sandboxes
    proc.wait()
    before = executions_per_key(run_dir)
    assert len(before) >= 3 and not (run_dir / "metrics.json").exists()
    saved = snapshot(run_dir)

    # a resume that would change the run is refused before anything is written
    changed = run_entry_point([*README_RESUME, f"hydra.run.dir={run_dir}", "search.uct_c=1.0"])
    assert changed.returncode == 2, changed.stderr
    assert "search.uct_c" in changed.stderr and "Traceback" not in changed.stderr
    assert snapshot(run_dir) == saved and not (run_dir / "resumes.jsonl").exists()

    resumed = run_entry_point([*README_RESUME, f"hydra.run.dir={run_dir}"])
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert snapshot(run_dir) == saved  # config.yaml and .hydra/ byte-identical
    metrics = json.loads((run_dir / "metrics.json").read_text())
    reference = research(research_cfg(tasks_dir, STEPS), tmp_path / "reference")
    assert metrics["policy"] == "mcts" and metrics["search_seed"] == 1
    assert metrics["resumed"] is True and metrics["resumes"] == 1
    assert 0 <= metrics["replayed_nodes"] <= len(before)
    assert "| resumed | True |" in (run_dir / "report.md").read_text()
    assert "| replayed_nodes |" in (run_dir / "report.md").read_text()
    assert set(executions_per_key(run_dir).values()) == {1}  # no finished solution ran twice
    assert searched(run_dir) == searched(tmp_path / "reference")
    for key in ("nodes", "best_node", "best_val_score", "test_score", "medal"):
        assert metrics[key] == reference[key], key
    assert reference["resumed"] is False and reference["replayed_nodes"] == 0
    (record,) = Journal(run_dir / "resumes.jsonl").records()
    # the overrides hydra composed: the run's own group options, then what was typed
    assert record["overrides"][-1] == "resume=true" and "search=mcts" in record["overrides"]
    assert record["nodes_in_journal"] >= 1


def saved_run(tasks_dir: Path, run_dir: Path, overrides: list[str]) -> None:
    """A run folder as one started with ``overrides`` leaves it: its resolved config and
    hydra's record of the group options it chose."""
    (run_dir / ".hydra").mkdir(parents=True)
    (run_dir / "config.yaml").write_text(
        OmegaConf.to_yaml(research_cfg(tasks_dir, overrides), resolve=True)
    )
    choices = compose_config("research", overrides).hydra.runtime.choices
    record = {"hydra": {"runtime": {"choices": OmegaConf.to_container(choices)}}}
    (run_dir / ".hydra" / "hydra.yaml").write_text(yaml.safe_dump(record))


def resume_with(tasks_dir: Path, run_dir: Path, typed: list[str]) -> DictConfig:
    """resume_config as the entry point calls it for the command line ``typed``."""
    args = with_run_groups([*typed, f"hydra.run.dir={run_dir}"])[:-1]
    cfg = compose_config("research", [f"tasks_dir={tasks_dir}", "run.progress=false", *args])
    OmegaConf.set_struct(cfg, False)
    choices = group_choices(cfg.pop("hydra").runtime.choices)
    return resume_config(cfg, run_dir, args, choices)


def test_resume_takes_the_saved_config_and_refuses_changes_naming_the_key(tasks_dir, tmp_path):
    run_dir = tmp_path / "run"
    saved_run(tasks_dir, run_dir, STEPS)
    cfg = resume_with(tasks_dir, run_dir, ["resume=true"])  # the README's command
    assert cfg.task == "wine" and cfg.search.uct_c == 0.25 and cfg.search.num_children == 2
    assert cfg.resume is True and cfg.run.seed == cfg.search.seed == 1 and cfg.budget.steps == 6
    same = ["resume=true", "task=wine", "search=mcts", "search.num_children=2", "run.seed=1"]
    assert resume_with(tasks_dir, run_dir, same) == cfg
    free = ["resume=true", "executor=ray", "ray.address=auto", "run.progress=true"]
    moved = resume_with(tasks_dir, run_dir, free)
    assert moved.executor == "ray" and moved.ray.address == "auto" and moved.run.progress
    for change, key in [("task=digits", "task"), ("search=greedy", "search"),
                        ("search.num_children=5", "search.num_children"),
                        ("run.seed=0", "run.seed"), ("budget.steps=9", "budget.steps"),
                        ("workers=2", "workers"), ("operators=llm", "operators")]:  # fmt: skip
        with pytest.raises(UsageError, match=re.escape(f"changes {key} ")):
            resume_with(tasks_dir, run_dir, ["resume=true", change])
    # the group options are hydra's record of the run's start: llm=openai is not embedded
    saved_run(tasks_dir, tmp_path / "llm", [*STEPS, "operators=llm", "llm=embedded"])
    resume_with(tasks_dir, tmp_path / "llm", ["resume=true", "llm=embedded"])
    with pytest.raises(UsageError, match=r"changes llm \(saved: embedded\)"):
        resume_with(tasks_dir, tmp_path / "llm", ["resume=true", "llm=openai"])
    (run_dir / ".hydra" / "hydra.yaml").unlink()  # without it, a group's fields must match
    with pytest.raises(UsageError, match=re.escape("changes search ")):
        resume_config(research_cfg(tasks_dir, []), run_dir, ["search=greedy"], {"search": "x"})
    # through the Python API the whole config must agree
    with pytest.raises(UsageError, match=r"selection\.folds"):
        research(research_cfg(tasks_dir, [*STEPS, "selection.folds=5", "resume=true"]),
                 tmp_path / "run")  # fmt: skip
    with pytest.raises(UsageError, match="no research run"):
        research(research_cfg(tasks_dir, [*STEPS, "resume=true"]), tmp_path / "elsewhere")
    with pytest.raises(UsageError, match="already holds a run"):
        research(research_cfg(tasks_dir, STEPS), tmp_path / "run")


def test_a_run_saved_without_search_name_resumes_with_the_policy_it_started_with(tmp_path):
    """Runs started before the search group named its policy: hydra's record of the run's
    start names it."""
    saved = OmegaConf.to_container(research_cfg(tmp_path, ["task=wine", "search=mcts"]))
    del saved["search"]["name"]
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(saved))
    (tmp_path / ".hydra").mkdir()
    choices = {"hydra": {"runtime": {"choices": {"search": "mcts", "operators": "programmatic"}}}}
    (tmp_path / ".hydra" / "hydra.yaml").write_text(yaml.safe_dump(choices))
    assert saved_config(tmp_path).search.name == "mcts"


def test_an_unknown_task_is_an_error_listing_the_tasks_and_leaves_no_folder(tmp_path: Path):
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    result = run_entry_point(["-m", "research_agent.run", "task=wien"], cwd=cwd, env=env)
    assert result.returncode == 2
    assert "task=wien" in result.stderr and "digits, " in result.stderr
    assert "Traceback" not in result.stderr
    assert list(cwd.iterdir()) == []  # no outputs/research/wien/<time> left behind
    with pytest.raises(UsageError, match="Built-in tasks: breast_cancer"):
        research(research_cfg(tmp_path, ["task=wien"]), tmp_path / "run")
    assert not (tmp_path / "run").exists()
    with pytest.raises(UsageError, match="speedrun"):
        check_task("speedrun_zz")


@dataclass
class HostileOperators(ProgrammaticOperators):
    """Drafts every hostile solution once (paths filled from ``targets``), then real ones."""

    targets: dict[str, str] = field(default_factory=dict)
    _queue: itertools.count = field(default_factory=itertools.count)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def draft(self, task: TaskFolder, rng: np.random.Generator) -> ProposedSolution:
        with self._lock:
            index = next(self._queue)
        names = sorted(HOSTILE)
        if index < len(names):
            return ProposedSolution(
                HOSTILE[names[index]].format(**self.targets), f"hostile {names[index]}"
            )
        return super().draft(task, rng)


def test_hostile_solutions_are_recorded_buggy_and_the_run_goes_on(
    wine: TaskFolder, tasks_dir: Path, tmp_path: Path, monkeypatch
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
                 "start_from_baseline=false", "selection.folds=1"]  # fmt: skip
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
