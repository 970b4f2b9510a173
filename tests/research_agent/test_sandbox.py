from __future__ import annotations

import os
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from research_agent.execution import execute
from research_agent.sandbox import drops_privileges, isolation_backend
from research_agent.spares import SPARES, imports_of
from research_agent.tasks import Task
from tests.research_agent.conftest import FAST
from tests.research_agent.hostile import HOSTILE

LIMITS = {
    "infinite_loop": replace(FAST, wall_s=2.0),
    "memory_bomb": replace(FAST, memory_mb=512),
    "fork_bomb": replace(FAST, wall_s=4.0, nproc=16),
}


def hostile_code(name: str, task: Task, tmp_path: Path) -> str:
    paths = {
        "labels": task.private_dir / "val_labels.npy",
        "journal": tmp_path / "journal.jsonl",
        "outside": tmp_path / "outside.txt",
    }
    return HOSTILE[name].format(**{k: str(v) for k, v in paths.items()})


def processes_of(uid: int) -> int:
    out = subprocess.run(["ps", "-o", "pid=", "-u", str(uid)], capture_output=True, text=True)
    return len(out.stdout.split())


@pytest.mark.parametrize("started", ["new", "spare"])
@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_solution_is_contained_and_buggy(
    name: str, started: str, wine: Task, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """In a sandbox started for it, or in a spare started before it was known."""
    (tmp_path / "journal.jsonl").write_text("{}\n")
    limits, code = LIMITS.get(name, FAST), hostile_code(name, wine, tmp_path)
    if started == "new":
        monkeypatch.setattr(SPARES, "capacity", 0)
    else:  # a harmless solution with the same imports leaves a spare for it
        imports = "".join(f"import {module}\n" for module in sorted(imports_of(code)))
        execute(wine, imports, tmp_path / "before", limits)
    used = SPARES.used
    result = execute(wine, code, tmp_path / "node", limits)
    assert SPARES.used == used + (started == "spare")
    assert result.is_buggy, result
    assert "PWNED" not in result.stdout
    assert not (tmp_path / "outside.txt").exists()
    assert not (wine.public_dir / "planted.txt").exists()
    assert (tmp_path / "journal.jsonl").read_text() == "{}\n"
    assert result.exec_time < 15
    if os.getuid() == 0:
        assert result.uid is not None and processes_of(result.uid) == 0


def test_limits_name_the_failure(wine: Task, tmp_path: Path):
    loop = execute(wine, HOSTILE["infinite_loop"], tmp_path / "a", LIMITS["infinite_loop"])
    assert loop.timed_out and loop.error.startswith("timeout")
    bomb = execute(wine, HOSTILE["memory_bomb"], tmp_path / "b", LIMITS["memory_bomb"])
    assert "MemoryError" in bomb.stderr


def test_good_solution_runs_with_the_strongest_isolation_here(wine: Task, tmp_path: Path):
    result = execute(wine, wine.starter.read_text(), tmp_path, FAST)
    assert result.score == pytest.approx(wine.spec.baseline_score)
    assert result.isolation == isolation_backend()
    assert {"solution.py", "val_predictions.npy", "test_predictions.npy"} <= set(result.files)


@pytest.mark.parametrize("isolation", ["unshare", "none"])
def test_fallback_isolation_still_protects_labels_and_host(isolation, wine: Task, tmp_path: Path):
    if isolation == "unshare" and isolation_backend() == "none":
        pytest.skip("unshare does not work here")
    good = execute(wine, wine.starter.read_text(), tmp_path / "good", FAST, isolation=isolation)
    assert good.score == pytest.approx(wine.spec.baseline_score)
    if not drops_privileges(isolation):
        return  # the solution runs as this user: only the limits and namespaces apply
    for name in ("read_test_labels", "write_outside"):
        code = hostile_code(name, wine, tmp_path)
        assert execute(wine, code, tmp_path / name, FAST, isolation=isolation).is_buggy
    assert not (tmp_path / "outside.txt").exists()
