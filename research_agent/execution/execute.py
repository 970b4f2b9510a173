"""Execute one solution: write it into a fresh workspace, run it sandboxed, grade its output.

Solutions run in the sandboxes of a :class:`~research_agent.execution.spares.Spares` passed in
by the caller (a research run owns one, sized by ``sandbox.spares``); without one, a solution
starts a sandbox of its own, with no spare started for the next."""

from __future__ import annotations

import contextlib
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from research_agent.execution.sandbox import Limits, SandboxResult
from research_agent.execution.spares import Spares, imports_of
from research_agent.tasks.grading import grade
from research_agent.tasks.spec import TaskFolder

SCRIPT = "solution.py"


@dataclass
class ExecutionResult:
    """A solution's run: the validation score comes from grading its predictions, never from
    what it prints. ``error`` says why a run counts as buggy (None when it does not)."""

    score: float | None
    exit_code: int
    timed_out: bool
    exec_time: float
    stdout: str
    stderr: str
    isolation: str
    files: list[str] = field(default_factory=list)
    evaluation: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    grade_time: float = 0.0  # seconds the grader took (outside the sandbox)
    uid: int | None = None  # the unprivileged uid it ran as (None: this process's)
    startup_time: float = 0.0  # seconds it waited for its sandbox's imports before it started
    cpu_time: float | None = None  # CPU seconds of its whole process tree (None: not measured)
    limited_by: str = "rlimits"  # how its memory, CPU and processes were limited

    @property
    def is_buggy(self) -> bool:
        return self.score is None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def task_limits(task: TaskFolder, **overrides: Any) -> Limits:
    """The sandbox limits of ``task`` (time and memory from task.yaml), with ``overrides``."""
    base = {"wall_s": task.spec.time_limit_s, "memory_mb": task.spec.memory_mb}
    return Limits(**{**base, **{k: v for k, v in overrides.items() if v is not None}})


def _failure(run: SandboxResult, limits: Limits) -> str | None:
    if run.exceeded:
        return run.exceeded
    if run.timed_out:
        return f"timeout: killed after the wall-time limit of {limits.wall_s:g} s"
    if run.exit_code != 0:
        last = run.stderr.strip().splitlines()[-1:] or [""]
        return f"exit code {run.exit_code}: {last[0]}"
    return None


def execute(
    task: TaskFolder,
    code: str,
    node_dir: Path,
    limits: Limits | None = None,
    gpu: int | None = None,
    isolation: str | None = None,
    spares: Spares | None = None,
) -> ExecutionResult:
    """Run ``code`` in ``node_dir/workspace`` (in a sandbox of ``spares`` when given) and grade
    its validation predictions."""
    limits = limits or task_limits(task)
    workspace = node_dir / "workspace"
    shutil.rmtree(workspace, ignore_errors=True)
    workspace.mkdir(parents=True)
    (workspace / SCRIPT).write_text(code)
    data, logs = task.public_dir, node_dir / "logs"
    with contextlib.ExitStack() as own:
        sandboxes = spares if spares is not None else own.enter_context(Spares(capacity=0))
        run = sandboxes.run(
            SCRIPT,
            workspace,
            data,
            logs,
            limits,
            gpu=gpu,
            isolation=isolation,
            imports=imports_of(code),
        )
    error = _failure(run, limits)
    evaluation: dict[str, Any] = {}
    grading_started = time.perf_counter()
    if error is None:
        evaluation = grade(task, workspace / "val_predictions.npy", "val", run.seconds)
        error = evaluation.get("error")
    grade_time = time.perf_counter() - grading_started
    files = sorted(str(p.relative_to(workspace)) for p in workspace.rglob("*") if p.is_file())
    return ExecutionResult(
        score=None if error else evaluation["score"],
        exit_code=run.exit_code,
        timed_out=run.timed_out,
        exec_time=run.seconds,
        stdout=run.stdout,
        stderr=run.stderr,
        isolation=run.isolation,
        files=files,
        evaluation=evaluation,
        error=error,
        grade_time=grade_time,
        uid=run.uid,
        startup_time=run.startup,
        cpu_time=run.cpu_seconds,
        limited_by=run.limited_by,
    )
