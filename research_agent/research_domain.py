"""The research task as a planning-core search domain: operators write code, the sandbox runs it.

Each expansion is identified by its job key (operator, parent ids, seed). A finished execution
is appended to the journal at once, and an execution already in the journal (a resumed run)
is replayed from there instead of being run again. A proposed solution whose code was already
proposed in the run is proposed again (the operator draws on from the job's generator, up to
``novelty_tries`` times, then its fallbacks: a crossover mutates its first parent, an improve
drafts), so the budget goes to solutions not yet tried; a repeat is run only when no novel one
came up.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from planning.domain import Expansion, ExpansionJob
from research_agent.execution.execute import ExecutionResult, execute
from research_agent.execution.gpus import GpuPool
from research_agent.execution.sandbox import Limits
from research_agent.execution.spares import Spares
from research_agent.journal import Journal, Record
from research_agent.operators.base import Operators, ProposedSolution
from research_agent.tasks.spec import TaskFolder

BASELINE_KEY = "baseline"
FALLBACKS: dict[str, list[str]] = {"crossover": ["improve", "draft"], "improve": ["draft"]}
"""What a job's operator falls back to when none of its draws is a solution not yet tried."""


def run_time(info: dict[str, Any]) -> float:
    """Seconds a node's solution took: waiting for its sandbox's imports, running, grading
    (the first and last count 0 where not recorded)."""
    return info["exec_time"] + info.get("grade_time", 0.0) + info.get("startup_time", 0.0)


def job_key(job: ExpansionJob) -> str:
    """A name unique to the job within a run (and stable across a resume)."""
    parents = "".join(f"-{p.id}" for p in job.parents)
    return f"{job.operator}{parents}-{job.seed:016x}"


@dataclass
class ResearchDomain:
    """Searches solutions of ``task``; node folders go under ``nodes_dir``; solutions run in
    sandboxes of ``spares`` (the run's; None: each starts its own)."""

    task: TaskFolder
    operators: Operators
    nodes_dir: Path
    journal: Journal
    limits: Limits
    gpus: GpuPool = field(default_factory=lambda: GpuPool(0))
    isolation: str | None = None
    replay: dict[str, Record] = field(default_factory=dict)
    novelty_tries: int = 8
    spares: Spares | None = None
    _seen: set[str] = field(default_factory=set, init=False, repr=False)
    _seen_lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.novelty_tries < 1:
            raise ValueError(
                f"novelty_tries must be >= 1 (1: no retries), got {self.novelty_tries}"
            )

    def expand(self, job: ExpansionJob) -> Expansion:
        key = job_key(job)
        record = self.replay.get(key) or self._run(job, key)
        return self.expansion(record)

    def expansion(self, record: Record) -> Expansion:
        """The planning-core view of an execution record."""
        self.remember(record["code"])  # replayed ones too: a resumed run does not repeat them
        score = record["metrics"].get("val_score")
        info = {k: record[k] for k in ("key", "error", "stderr", "timed_out", "exit_code")}
        info.update(exec_time=record["exec_time"], analysis=record["analysis"], val_score=score)
        info["grade_time"] = record.get("grade_time", 0.0)  # journals written before it: 0
        info["startup_time"] = record.get("startup_time", 0.0)
        return Expansion(
            payload={"code": record["code"], "plan": record["plan"], "key": record["key"]},
            score=None if record["is_buggy"] else self.task.spec.signed(score),
            is_buggy=record["is_buggy"],
            info=info,
        )

    def __getstate__(self) -> dict[str, Any]:  # shipped to Ray workers: a lock does not pickle
        state = dict(self.__dict__)
        del state["_seen_lock"]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state, _seen_lock=threading.Lock())

    def resume_from(self, executions: dict[str, Record]) -> None:
        """Replay ``executions`` (a journal's, by job key) instead of running those jobs again;
        their solutions count as tried."""
        self.replay = executions
        for record in executions.values():
            self.remember(record["code"])

    def remember(self, code: str) -> bool:
        """Mark ``code`` as proposed in this run; False when it already was."""
        with self._seen_lock:
            novel = code not in self._seen
            self._seen.add(code)
            return novel

    def _propose_novel(self, job: ExpansionJob) -> ProposedSolution:
        """The job's candidate, or a later draw of its operator when that code was proposed
        before (a deterministic operator, same code twice running, is not asked again); when
        no draw is novel, the operator's fallbacks in :data:`FALLBACKS` are asked the same way
        (a crossover of parents that merge into a tried solution mutates the first parent
        instead, as an evolutionary search does). A repeat is returned only when all repeat."""
        rng = np.random.default_rng(job.seed)
        operators = [job.operator]
        if self.novelty_tries > 1:
            operators += FALLBACKS.get(job.operator, [])
        repeat = None  # the job's own operator's repeat, run when every operator repeats
        for operator in operators:
            candidate, novel = self._draw_novel(job, operator, rng)
            if novel:
                if operator == job.operator:
                    return candidate
                note = f" (instead of {job.operator}, whose draws repeated tried solutions)"
                return ProposedSolution(candidate.code, candidate.plan + note)
            repeat = repeat or candidate
        return ProposedSolution(repeat.code, f"{repeat.plan} (a repeat of a tried solution)")

    def _draw_novel(
        self, job: ExpansionJob, operator: str, rng: np.random.Generator
    ) -> tuple[ProposedSolution, bool]:
        """Up to ``novelty_tries`` draws of ``operator`` on the job's parents: the first novel
        candidate and True, or the last repeat and False."""
        previous = None
        for attempt in range(self.novelty_tries):
            candidate = self._operate(job, rng, operator)
            if self.remember(candidate.code):
                note = f" (draw {attempt + 1}: the earlier ones repeated tried solutions)"
                return ProposedSolution(
                    candidate.code, candidate.plan + (note if attempt else "")
                ), True
            if candidate.code == previous:
                break
            previous = candidate.code
        return candidate, False

    def _operate(
        self, job: ExpansionJob, rng: np.random.Generator, operator: str | None = None
    ) -> ProposedSolution:
        """``operator`` (default: the job's) applied to the job's parents."""
        operator = operator or job.operator
        if operator == "draft":
            return self.operators.draft(self.task, rng)
        if operator == "crossover":
            return self.operators.crossover(self.task, job.parents[0], job.parents[1], rng)
        return getattr(self.operators, operator)(self.task, job.parents[0], rng)

    def failed(self, job: ExpansionJob, error: str) -> Expansion:
        """Journal ``job`` as a buggy execution that never finished (its worker was lost, e.g.
        a killed process or node) and return it as such; the candidate is proposed again."""
        result = ExecutionResult(None, -9, False, 0.0, "", error, "lost", error=error)
        parents = tuple(p.id for p in job.parents)
        candidate = self._operate(job, np.random.default_rng(job.seed))
        record = self._record(job_key(job), job.operator, parents, candidate, result)
        self.journal.append(record)
        return self.expansion(record)

    def baseline(self) -> Expansion:
        """The task's own baseline solution (its starter), run like any solution under the
        key :data:`BASELINE_KEY` (replayed from the journal on resume)."""
        if not self.task.starter.is_file():
            raise FileNotFoundError(f"task {self.task.spec.id} has no baseline solution")
        candidate = ProposedSolution(self.task.starter.read_text(), "the task's baseline solution")
        self.remember(candidate.code)
        record = self.replay.get(BASELINE_KEY) or self._execute(
            BASELINE_KEY, "draft", (), candidate
        )
        return self.expansion(record)

    def _run(self, job: ExpansionJob, key: str) -> Record:
        parents = tuple(p.id for p in job.parents)
        return self._execute(key, job.operator, parents, self._propose_novel(job))

    def _execute(
        self, key: str, operator: str, parents: tuple[int, ...], candidate: ProposedSolution
    ) -> Record:
        gpu = self.gpus.acquire()
        try:
            result = execute(
                self.task,
                candidate.code,
                self.nodes_dir / key,
                limits=self.limits,
                gpu=gpu,
                isolation=self.isolation,
                spares=self.spares,
            )
        finally:
            self.gpus.release(gpu)
        record = self._record(key, operator, parents, candidate, result)
        self.journal.append(record)
        return record

    def _record(
        self,
        key: str,
        operator: str,
        parents: tuple[int, ...],
        candidate: ProposedSolution,
        result: ExecutionResult,
    ) -> Record:
        execution: dict[str, Any] = result.to_dict()
        record: Record = {
            "kind": "execution",
            "key": key,
            "operator": operator,
            "parents": list(parents),
            "code": candidate.code,
            "plan": candidate.plan,
            "metrics": {"val_score": result.score, "metric": self.task.spec.metric},
            "exec_time": result.exec_time,
            "grade_time": result.grade_time,
            "startup_time": result.startup_time,
            "exit_code": result.exit_code,
            "timed_out": result.timed_out,
            "is_buggy": result.is_buggy,
            "error": result.error,
            "stderr": result.stderr,
            "files": result.files,
            "isolation": result.isolation,
            "analysis": self.operators.analyze(self.task, candidate.code, execution),
            "finished_at": time.time(),
        }
        return record
