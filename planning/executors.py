"""Run a batch of expansion jobs inline, on threads or on worker processes.

Every executor returns one :class:`Expansion` per job, in submission order. A job that raises,
or whose worker process dies, yields a buggy Expansion whose ``info["error"]`` says why; the
search goes on.
"""

from __future__ import annotations

import multiprocessing
import traceback
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from concurrent.futures import Executor as _PoolExecutor
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from types import TracebackType

from planning.domain import Expansion, ExpansionJob

ExpandFn = Callable[[ExpansionJob], Expansion]
_DIED = "worker process died while expanding (crash, os._exit or out of memory)"


def safe_expand(fn: ExpandFn, job: ExpansionJob) -> Expansion:
    """Call ``fn(job)``; turn an exception or a non-Expansion result into a buggy Expansion."""
    try:
        result = fn(job)
    except Exception:
        return Expansion.failure(f"expand raised:\n{traceback.format_exc()}")
    if not isinstance(result, Expansion):
        return Expansion.failure(f"expand returned {type(result).__name__}, expected Expansion")
    return result


class Executor(ABC):
    """Maps an expand function over jobs; a context manager that releases its workers."""

    @abstractmethod
    def map(self, fn: ExpandFn, jobs: Sequence[ExpansionJob]) -> list[Expansion]:
        """Run ``fn`` on every job and return the results in submission order."""

    def shutdown(self) -> None:
        """Release workers (nothing to release by default)."""
        return None

    def __enter__(self) -> Executor:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.shutdown()


class InlineExecutor(Executor):
    """Runs jobs one after another in the calling thread."""

    def map(self, fn: ExpandFn, jobs: Sequence[ExpansionJob]) -> list[Expansion]:
        return [safe_expand(fn, job) for job in jobs]


def _check_workers(max_workers: int) -> int:
    if max_workers < 1:
        raise ValueError(f"max_workers must be >= 1, got {max_workers}")
    return max_workers


class _PoolBackedExecutor(Executor):
    """Shared pool lifecycle: created lazily, shut down on exit."""

    def __init__(self, max_workers: int) -> None:
        self.max_workers = _check_workers(max_workers)
        self._pool: _PoolExecutor | None = None

    @abstractmethod
    def _make_pool(self) -> _PoolExecutor: ...

    @property
    def pool(self) -> _PoolExecutor:
        if self._pool is None:
            self._pool = self._make_pool()
        return self._pool

    def shutdown(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


class ThreadExecutor(_PoolBackedExecutor):
    """Runs jobs on a thread pool (for domains that wait on I/O, e.g. LLM calls)."""

    def _make_pool(self) -> _PoolExecutor:
        return ThreadPoolExecutor(max_workers=self.max_workers)

    def map(self, fn: ExpandFn, jobs: Sequence[ExpansionJob]) -> list[Expansion]:
        return list(self.pool.map(safe_expand, [fn] * len(jobs), jobs))


class ProcessExecutor(_PoolBackedExecutor):
    """Runs jobs on worker processes; ``fn`` (usually ``domain.expand``) must be picklable.

    If a worker dies, the pool is recreated and the unfinished jobs of the batch are rerun one
    at a time, so only the job that kills its worker comes back as a buggy Expansion.
    ``mp_context`` names a start method ("spawn", "fork", "forkserver"); None is the default.
    """

    def __init__(self, max_workers: int, mp_context: str | None = None) -> None:
        super().__init__(max_workers)
        self.mp_context = mp_context

    def _make_pool(self) -> _PoolExecutor:
        context = multiprocessing.get_context(self.mp_context) if self.mp_context else None
        return ProcessPoolExecutor(max_workers=self.max_workers, mp_context=context)

    def map(self, fn: ExpandFn, jobs: Sequence[ExpansionJob]) -> list[Expansion]:
        futures = [self.pool.submit(safe_expand, fn, job) for job in jobs]
        results = [self._result(future) for future in futures]
        if any(r is None for r in results):
            # The pool broke (and was discarded): rerun unfinished jobs alone; only culprits fail.
            results = [
                r if r is not None else self._result(self.pool.submit(safe_expand, fn, job))
                for r, job in zip(results, jobs, strict=True)
            ]
        return [r if r is not None else Expansion.failure(_DIED) for r in results]

    def _result(self, future: Future[Expansion]) -> Expansion | None:
        """The future's Expansion; None if the pool broke (the pool is then discarded)."""
        try:
            return future.result()
        except BrokenProcessPool:
            self._discard_pool()
            return None
        except Exception as exc:  # e.g. the job or its result could not be pickled
            return Expansion.failure(f"worker could not run the job: {exc!r}")

    def _discard_pool(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
