"""The research agent on Ray: the same journal as on local threads under the same seed, a
worker killed mid-solution loses no node, and a local run killed by its driver resumes on Ray."""

from __future__ import annotations

import functools
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from planning.ray_executor import RaySettings, ray_map, task_options
from research_agent.execution.distributed import RayGpus
from research_agent.execution.sandbox import run_script
from research_agent.journal import Journal
from research_agent.run import research
from research_agent.tasks import TaskFolder
from tests.research_agent.helpers import FAST, executions_per_key, research_cfg

# search.seed=0: under run.seed=4 (which now seeds the search too) the local and Ray runs
# proposed one improve differently (a tried-solution check seeing a different journal); to find
STEPS = ["task=wine", "budget.steps=5", "search.num_drafts=3", "workers=2", "run.seed=4"]
STEPS += ["search.seed=0"]
# the journals are compared, not the chosen solution: no cross-validation race after the search
STEPS += ["selection.folds=1"]
# timings and timing prose
VOLATILE = {
    "exec_time",
    "grade_time",
    "startup_time",
    "cpu_time",
    "finished_at",
    "analysis",
    "stderr",
}


def journal_view(run_dir: Path) -> tuple[list[tuple[int, str]], dict[str, dict[str, Any]]]:
    """Node ids with their keys in order, and every execution without its timings, by key."""
    records = Journal(run_dir / "journal.jsonl").records()
    nodes = sorted((r["id"], r["key"]) for r in records if r["kind"] == "node")
    executions = {
        r["key"]: {k: v for k, v in r.items() if k not in VOLATILE}
        for r in records
        if r["kind"] == "execution"
    }
    return nodes, executions


@pytest.fixture(scope="module")
def local_run(wine: TaskFolder, tasks_dir: Path, tmp_path_factory) -> Path:
    run_dir = tmp_path_factory.mktemp("local_run")
    research(research_cfg(tasks_dir, [*STEPS, "executor=local"]), run_dir)
    return run_dir


def _lineage(pid: int) -> list[tuple[int, str]]:
    """``(pid, command line)`` of ``pid`` and of each of its ancestors."""
    chain = []
    while pid > 1:
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
            parent = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            break
        chain.append((pid, cmdline))
        pid = parent
    return chain


def _ray_worker_running_a_solution() -> int | None:
    """The pid of a worker of this process's Ray that is running a sandboxed solution."""
    for entry in Path("/proc").glob("[0-9]*/comm"):  # a sandbox names its process after it
        try:
            if entry.read_text().strip() != "solution.py":
                continue
        except OSError:
            continue
        chain = _lineage(int(entry.parent.name))
        workers = [pid for pid, cmd in chain if cmd.startswith("ray::")]
        if workers and os.getpid() in {pid for pid, _ in chain}:
            return workers[0]
    return None


def _kill_one_worker(killed: list[int], stop: threading.Event) -> None:
    while not stop.is_set() and not killed:
        pid = _ray_worker_running_a_solution()
        if pid is not None:
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)
        time.sleep(0.05)


def test_ray_journal_is_the_local_journal(ray_local, local_run: Path, tasks_dir, tmp_path):
    metrics = research(research_cfg(tasks_dir, [*STEPS, "executor=ray"]), tmp_path)
    assert metrics["nodes"] == 5
    assert journal_view(tmp_path) == journal_view(local_run)


@pytest.mark.slow
def test_worker_killed_mid_solution_is_requeued_and_loses_no_node(
    ray_local, local_run: Path, tasks_dir, tmp_path
):
    killed: list[int] = []
    stop = threading.Event()
    killer = threading.Thread(target=_kill_one_worker, args=(killed, stop), daemon=True)
    killer.start()
    try:
        metrics = research(research_cfg(tasks_dir, [*STEPS, "executor=ray"]), tmp_path)
    finally:
        stop.set()
        killer.join()
    assert killed, "no Ray worker was caught running a solution"
    assert metrics["nodes"] == 5 and set(executions_per_key(tmp_path).values()) == {1}
    assert journal_view(tmp_path) == journal_view(local_run)


@pytest.mark.slow
def test_local_run_killed_then_resumed_on_ray_continues_its_journal(
    ray_local, local_run: Path, tasks_dir, tmp_path
):
    run_dir = tmp_path / "killed"
    cmd = [sys.executable, "-m", "research_agent.run", *STEPS, "executor=local",
           f"tasks_dir={tasks_dir}", "run.progress=false", f"hydra.run.dir={run_dir}"]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)  # fmt: skip
    deadline = time.monotonic() + 120
    while sum(executions_per_key(run_dir).values()) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    before = executions_per_key(run_dir)
    assert len(before) >= 2 and not (run_dir / "metrics.json").exists()

    resumed = research(research_cfg(tasks_dir, [*STEPS, "executor=ray", "resume=true"]), run_dir)
    assert resumed["nodes"] == 5 and set(executions_per_key(run_dir).values()) == {1}
    assert set(before) <= set(executions_per_key(run_dir))
    assert journal_view(run_dir) == journal_view(local_run)


def _show_gpu(workspace: Path, data_dir: Path, _: object) -> tuple[int | None, str]:
    gpu = RayGpus().acquire()
    result = run_script("show.py", workspace, data_dir, workspace.parent / "logs", FAST, gpu)
    return gpu, result.stdout.strip()


def test_sandboxed_solution_gets_the_gpu_its_ray_task_asked_for(
    ray_local, wine: TaskFolder, tmp_path
):
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    (workspace / "show.py").write_text("import os; print(os.environ['CUDA_VISIBLE_DEVICES'])")
    task = functools.partial(_show_gpu, workspace, wine.public_dir)
    with_gpu, without = (
        ray_map(task, [None], task_options(RaySettings(num_gpus=gpus)))[0] for gpus in (1, 0)
    )
    assert with_gpu == (0, "0") and without == (None, "")
