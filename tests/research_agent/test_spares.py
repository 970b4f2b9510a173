"""Spare sandboxes: started before their solution, with its imports done, and just as closed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import pytest

from research_agent.execution import cgroup
from research_agent.execution.sandbox import Limits
from research_agent.execution.spares import Spares, imports_of
from research_agent.tasks import TaskFolder
from tests.research_agent.helpers import FAST

REPORT_MODULES = """\
import json, sys
json.dump(sorted(sys.modules), open("modules.json", "w"))
"""


def run(spares: Spares, code: str, wine: TaskFolder, node: Path, limits: Limits = FAST):
    """Run ``code`` in ``node/workspace`` with ``spares``, as execute does."""
    workspace = node / "workspace"
    workspace.mkdir(parents=True)
    (workspace / "solution.py").write_text(code)
    return spares.run(
        "solution.py", workspace, wine.public_dir, node / "logs", limits, imports=imports_of(code)
    )


def test_imports_of_reads_import_statements_and_dotted_class_paths():
    code = (
        "import os, numpy.linalg\nfrom sklearn.pipeline import make_pipeline\nfrom . import x\n"
        "def f():\n    import json\n"
        "E = {'svm': 'sklearn.svm.SVC', 'word': 'not.a.module', 'x': 'Lower.case'}\n"
    )
    assert imports_of(code) == {"os", "numpy.linalg", "sklearn.pipeline", "json", "sklearn.svm"}
    assert imports_of("def broken(:\n") == frozenset()


def test_the_next_solution_runs_in_a_spare_with_its_imports_done(wine: TaskFolder, tmp_path: Path):
    spares = Spares(1, tmp_path / "spares")
    code = "import sklearn.pipeline\n" + REPORT_MODULES + "print('ran')\n"
    try:
        first = run(spares, code, wine, tmp_path / "a")
        assert spares.used == 0 and first.exit_code == 0
        second = run(spares, code, wine, tmp_path / "b")
        assert spares.used == 1 and second.exit_code == 0, second.stderr
        assert "ran" in second.stdout
        assert (tmp_path / "b" / "logs" / "stdout.txt").read_text() == "ran\n"
        modules = json.loads((tmp_path / "b" / "workspace" / "modules.json").read_text())
        assert "sklearn.pipeline" in modules
        assert {p.name for p in (tmp_path / "b" / "workspace").iterdir()} == {
            "solution.py",
            "modules.json",
        }
        assert len(list((tmp_path / "spares").glob("spare-*"))) == 1  # the next one's only
        assert len(list((tmp_path / "spares").glob("task-*"))) == 1  # the data it mounts
    finally:
        spares.close()
    assert not (tmp_path / "spares").exists()


def test_a_spare_is_used_only_for_the_same_imports(wine: TaskFolder, tmp_path: Path):
    spares = Spares(1, tmp_path / "spares")
    try:
        run(spares, "import sklearn.pipeline\n", wine, tmp_path / "a")
        lean = run(spares, REPORT_MODULES, wine, tmp_path / "b")  # imports less
        assert spares.used == 0 and lean.exit_code == 0
        modules = json.loads((tmp_path / "b" / "workspace" / "modules.json").read_text())
        assert "sklearn" not in modules
        more = run(spares, "import sklearn.pipeline\n" + REPORT_MODULES, wine, tmp_path / "c")
        assert spares.used == 0 and more.exit_code == 0  # imports more than the spare did
    finally:
        spares.close()


def test_limits_count_from_the_solutions_own_start(wine: TaskFolder, tmp_path: Path):
    """The imports done ahead (scikit-learn: about 1.5 CPU seconds) are not the solution's: one
    that spins 0.6 CPU seconds fits a 1 s CPU limit, one that spins on is stopped by it."""
    spares = Spares(1, tmp_path / "spares")
    spin = (
        "import resource, sklearn.pipeline, time\nt = time.process_time()\n"
        "print('cpu used', t, 'limit', resource.getrlimit(resource.RLIMIT_CPU), flush=True)\n"
        "while time.process_time() - t < {}:\n    pass\n"
    )
    try:
        limits = replace(FAST, wall_s=30.0, cpu_s=1.0)
        run(spares, spin.format(0.0), wine, tmp_path / "warm", limits)
        short = run(spares, spin.format(0.6), wine, tmp_path / "short", limits)
        assert short.exit_code == 0, (short.stdout, short.stderr)
        endless = run(spares, spin.format(60), wine, tmp_path / "endless", limits)
        assert spares.used == 2
        assert endless.exit_code != 0 and not endless.timed_out  # the CPU limit, not 30 s wall
    finally:
        spares.close()


def test_imports_longer_than_the_wall_time_limit_time_out(wine: TaskFolder, tmp_path: Path):
    spares = Spares(0)
    result = run(spares, "import sklearn.pipeline\n", wine, tmp_path, replace(FAST, wall_s=0.2))
    assert result.timed_out and result.seconds == 0.2


def test_a_spare_that_died_is_replaced(wine: TaskFolder, tmp_path: Path):
    spares = Spares(1, tmp_path / "spares")
    try:
        run(spares, "pass\n", wine, tmp_path / "a")
        spares.idle[0].stop()
        again = run(spares, "print('fine')\n", wine, tmp_path / "b")
        assert spares.used == 0 and again.exit_code == 0 and "fine" in again.stdout
    finally:
        spares.close()


@pytest.mark.parametrize("capacity", [0, 2])
def test_capacity_bounds_the_waiting_spares(capacity: int, wine: TaskFolder, tmp_path: Path):
    spares = Spares(capacity, tmp_path / "spares")
    try:
        for index, limit in enumerate((10.0, 11.0, 12.0, 13.0)):  # a new key each time
            run(spares, "pass\n", wine, tmp_path / str(index), replace(FAST, wall_s=limit))
        waiting = spares.idle
        assert len(waiting) == capacity and all(spare.waiting for spare in waiting)
    finally:
        spares.close()
    assert not any(spare.waiting for spare in waiting)


KILLED_RUN = """\
import sys
from pathlib import Path
from research_agent.execution.sandbox import Limits
from research_agent.execution.spares import Spares, imports_of
data, node = Path(sys.argv[1]), Path(sys.argv[2])
code = "MARK = 'zzkilledrun.Mark'\\nopen('running', 'w').close()\\nimport time\\ntime.sleep(120)\\n"
(node / "workspace").mkdir(parents=True)
(node / "workspace" / "solution.py").write_text(code)
Spares().run("solution.py", node / "workspace", data, node / "logs", Limits(wall_s=120),
             imports=imports_of(code))
"""


def marked_processes(marker: str) -> list[int]:
    pids = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if marker in cmdline.read_text():
                pids.append(int(cmdline.parent.name))
        except OSError:
            pass
    return pids


def wait_for(condition, timeout_s: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.1)
    return condition()


def test_a_killed_run_leaves_nothing_running_and_its_folders_go_at_the_next_start(
    wine: TaskFolder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    temp = tmp_path / "tmp"
    temp.mkdir()
    run = subprocess.Popen(
        [sys.executable, "-c", KILLED_RUN, str(wine.public_dir), str(tmp_path / "node")],
        env={**os.environ, "TMPDIR": str(temp)},
    )
    try:  # the solution runs and a spare for the next one waits
        assert wait_for(lambda: list(temp.glob("sandbox-spares-*/spare-*/workspace/running")))
        assert wait_for(lambda: len(list(temp.glob("sandbox-spares-*/spare-*"))) >= 2)
        assert wait_for(lambda: len(marked_processes("zzkilledrun")) >= 2)
    finally:
        run.kill()
        run.wait()
    assert wait_for(lambda: not marked_processes("zzkilledrun"), 10.0), "still running"
    (stale,) = temp.glob("sandbox-spares-*")
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    spares = Spares(1)
    root = spares.root()  # the next start
    assert not stale.exists() and list(temp.iterdir()) == [root]
    for hierarchy in cgroup.hierarchies():
        assert not list(hierarchy.parent.glob(f"{cgroup.PREFIX}-{run.pid}-*"))
    spares.close()
    assert not list(temp.iterdir())
