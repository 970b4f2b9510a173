from __future__ import annotations

import contextlib
import logging
import os
import re
import subprocess
import threading
import time
from dataclasses import replace
from pathlib import Path

import pytest

from research_agent.execution import cgroup, sandbox
from research_agent.execution.execute import execute
from research_agent.execution.sandbox import drops_privileges, isolation_backend, visible_device
from research_agent.execution.spares import Spares, imports_of
from research_agent.tasks import TaskFolder
from tests.research_agent.helpers import FAST
from tests.research_agent.hostile import HOSTILE

LIMITS = {
    "infinite_loop": replace(FAST, wall_s=2.0),
    "memory_bomb": replace(FAST, memory_mb=512),
    "fork_bomb": replace(FAST, wall_s=4.0, nproc=16),
    "tree_memory": replace(FAST, memory_mb=128),
    "shm_flood": replace(FAST, memory_mb=128),
    "disk_flood": replace(FAST, disk_mb=16),
}
CGROUP_LIMITS = cgroup.available()
needs_cgroup = pytest.mark.skipif(
    {"memory", "cpu", "pids"} != CGROUP_LIMITS,
    reason=f"no writable cgroup for memory, cpu and pids here (has: {sorted(CGROUP_LIMITS)})",
)
needs_bwrap = pytest.mark.skipif(
    isolation_backend() != "bwrap", reason="bubblewrap does not work here"
)


def hostile_code(name: str, task: TaskFolder, tmp_path: Path) -> str:
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
    name: str, started: str, wine: TaskFolder, tmp_path: Path
):
    """In a sandbox started for it, or in a spare started before it was known."""
    (tmp_path / "journal.jsonl").write_text("{}\n")
    limits, code = LIMITS.get(name, FAST), hostile_code(name, wine, tmp_path)
    with Spares(capacity=0 if started == "new" else 2) as spares:
        if started == "spare":  # a harmless solution with the same imports leaves a spare for it
            imports = "".join(f"import {module}\n" for module in sorted(imports_of(code)))
            execute(wine, imports, tmp_path / "before", limits, spares=spares)
        result = execute(wine, code, tmp_path / "node", limits, spares=spares)
        assert spares.used == (started == "spare")
    assert result.is_buggy, result
    assert "PWNED" not in result.stdout
    assert not (tmp_path / "outside.txt").exists()
    assert not (wine.public_dir / "planted.txt").exists()
    assert (tmp_path / "journal.jsonl").read_text() == "{}\n"
    assert result.exec_time < 15
    if os.getuid() == 0:
        assert result.uid is not None and processes_of(result.uid) == 0


def test_limits_name_the_failure(wine: TaskFolder, tmp_path: Path):
    loop = execute(wine, HOSTILE["infinite_loop"], tmp_path / "a", LIMITS["infinite_loop"])
    assert loop.timed_out and loop.error.startswith("timeout")
    bomb = execute(wine, HOSTILE["memory_bomb"], tmp_path / "b", LIMITS["memory_bomb"])
    if bomb.limited_by == "rlimits":
        assert "MemoryError" in bomb.stderr
    else:  # the kernel kills it at the cgroup's limit
        assert bomb.error.startswith("memory: ") and "512 MB" in bomb.error


def test_good_solution_runs_with_the_strongest_isolation_here(wine: TaskFolder, tmp_path: Path):
    result = execute(wine, wine.starter.read_text(), tmp_path, FAST)
    assert result.score == pytest.approx(wine.spec.baseline_score)
    assert result.isolation == isolation_backend()
    assert {"solution.py", "val_predictions.npy", "test_predictions.npy"} <= set(result.files)


@pytest.mark.parametrize("isolation", ["unshare", "none"])
def test_fallback_isolation_still_protects_labels_and_host(
    isolation, wine: TaskFolder, tmp_path: Path
):
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


def anonymous_mb(marker: str) -> float:
    """The anonymous memory (proportional set size) of the processes whose command line has
    ``marker``: what they take from the host beyond the files it shares."""
    total = 0
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        with contextlib.suppress(OSError):
            if marker in cmdline.read_text():
                rollup = (cmdline.parent / "smaps_rollup").read_text()
                total += int(re.search(r"^Pss_Anon:\s+(\d+) kB", rollup, re.M).group(1))
    return total / 1024


@needs_cgroup
def test_the_memory_limit_holds_for_the_whole_process_tree(wine: TaskFolder, tmp_path: Path):
    """Three children of 60 MB each under a 128 MB limit: killed, buggy with the reason, and
    the tree never holds more than the limit (it held 3 x 700 MB under 1024 MB before)."""
    peak, done = [0.0], threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], anonymous_mb("zzsandboxtree"))
            time.sleep(0.02)

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        code = hostile_code("tree_memory", wine, tmp_path)
        result = execute(wine, code, tmp_path, LIMITS["tree_memory"])
    finally:
        done.set()
        sampler.join()
    assert result.is_buggy and result.error.startswith("memory: "), result.error
    assert "128 MB" in result.error and result.limited_by.startswith("cgroup")
    assert 0 < peak[0] <= 128 + 8, peak
    again = execute(wine, "print('still fine')\n", tmp_path / "next", LIMITS["tree_memory"])
    assert again.exit_code == 0 and "still fine" in again.stdout  # the run goes on


@needs_bwrap
@pytest.mark.parametrize("folder", ["/dev/shm", "/tmp"])
def test_shared_memory_and_tmp_are_capped(folder: str, wine: TaskFolder, tmp_path: Path):
    """1.4 GB went into /dev/shm under a 1024 MB limit: now a write over the cap fails."""
    code = (
        "chunk, written = b'x' * 2**20, 0\n"
        f"with open('{folder}/flood', 'wb') as f:\n"
        "    try:\n"
        "        for _ in range(96):\n"
        "            f.write(chunk)\n"
        "            f.flush()\n"
        "            written += 1\n"
        "    except OSError as error:\n"
        "        print('stopped', error.errno)\n"
        "print('written', written)\n"
    )
    result = execute(wine, code, tmp_path, replace(FAST, memory_mb=256, tmpfs_mb=32))
    written = int(re.search(r"written (\d+)", result.stdout).group(1))
    assert "stopped 28" in result.stdout and 28 <= written <= 32, result.stdout  # ENOSPC


def test_disk_over_the_cap_makes_the_node_buggy_with_the_reason(wine: TaskFolder, tmp_path: Path):
    """A solution that scores but wrote 48 MB next to its predictions, with a 16 MB cap."""
    code = wine.starter.read_text() + "\n" + hostile_code("disk_flood", wine, tmp_path)
    result = execute(wine, code, tmp_path, LIMITS["disk_flood"])
    assert result.is_buggy, result
    assert result.error.startswith("disk: ") and "cap of 16 MB" in result.error, result.error
    assert execute(wine, wine.starter.read_text(), tmp_path / "good", LIMITS["disk_flood"]).score


@needs_cgroup
def test_two_busy_processes_get_at_most_the_cpus_given(wine: TaskFolder, tmp_path: Path):
    """A busy solution used 1.82 cores with cpus=1; measured by the solution's own rusage."""
    code = (
        "import os, resource, time\n"
        "start = time.monotonic()\n"
        "for _ in range(2):\n"
        "    if os.fork() == 0:\n"
        "        while time.monotonic() - start < 1.5:\n"
        "            pass\n"
        "        os._exit(0)\n"
        "os.wait(); os.wait()\n"
        "used = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
        "print('cores', (used.ru_utime + used.ru_stime) / (time.monotonic() - start))\n"
    )
    result = execute(wine, code, tmp_path, replace(FAST, cpus=1))
    cores = float(re.search(r"cores ([\d.]+)", result.stdout).group(1))
    assert cores <= 1.1, cores
    assert result.cpu_time is not None and result.cpu_time <= 1.1 * result.exec_time + 0.2


def test_the_log_kept_is_capped_with_a_marker(wine: TaskFolder, tmp_path: Path):
    """A 256 MB log was kept for a node; now each stream keeps its head and tail."""
    code = (
        "import sys\nfor i in range(100_000):\n    print('line', i, 'x' * 40)\nprint('THE END')\n"
    )
    result = execute(wine, code, tmp_path, replace(FAST, log_kb=64))
    kept = (tmp_path / "logs" / "stdout.txt").read_text()
    assert len(kept) <= 64 * 1024 + 200
    assert kept.startswith("line 0 ") and kept.endswith("THE END\n")
    assert "bytes cut here" in kept and result.stdout.endswith("THE END\n")


@needs_cgroup
def test_no_address_space_limit_where_the_cgroup_limits_memory(wine: TaskFolder, tmp_path: Path):
    """CUDA reserves far more address space than it uses: RLIMIT_AS would kill it."""
    code = "import resource\nprint('as', resource.getrlimit(resource.RLIMIT_AS)[0])\n"
    result = execute(wine, code, tmp_path, replace(FAST, memory_mb=256))
    assert "as -1" in result.stdout, result.stdout


def test_gpu_slots_map_through_the_parents_visible_devices(
    wine: TaskFolder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    assert visible_device(0, "2,3") == "2" and visible_device(1, "2, 3") == "3"
    assert visible_device(0, "GPU-5a1b") == "GPU-5a1b"
    with pytest.raises(ValueError, match=r"GPU slot 2 is not in CUDA_VISIBLE_DEVICES='2,3'"):
        visible_device(2, "2,3")
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    assert visible_device(1) == "1"
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "2,3")
    code = "import os\nprint('sees', os.environ['CUDA_VISIBLE_DEVICES'])\n"
    result = execute(wine, code, tmp_path, FAST, gpu=0)
    assert "sees 2\n" in result.stdout, result.stdout


@needs_bwrap
def test_the_sandbox_names_no_host_path_of_the_task_or_run(wine: TaskFolder, tmp_path: Path):
    code = (
        "import glob, os\n"
        "print(open('/proc/self/mountinfo').read(), open('/proc/1/cmdline').read())\n"
        "print(sorted(os.listdir('/data')), os.getcwd())\n"
    )
    result = execute(wine, code, tmp_path, FAST)
    shown = (tmp_path / "logs" / "stdout.txt").read_text()
    assert result.exit_code == 0 and "/workspace" in shown and "train_X.npy" in shown
    for host in (wine.private_dir.parent, tmp_path, wine.private_dir):
        assert str(host) not in shown


def test_without_a_writable_cgroup_rlimits_hold_and_the_run_log_says_so(
    wine: TaskFolder,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
):
    monkeypatch.setattr(cgroup, "hierarchies", list)  # none writable
    sandbox._warn_without_cgroup.cache_clear()
    code = "import resource\nprint('as', resource.getrlimit(resource.RLIMIT_AS)[0])\n"
    with caplog.at_level(logging.WARNING, logger="research_agent.execution.sandbox"):
        result = execute(wine, code, tmp_path, replace(FAST, memory_mb=256))
    assert result.limited_by == "rlimits" and f"as {256 * 2**20}\n" in result.stdout
    assert "no writable cgroup limits cpu, memory, pids here" in caplog.text
