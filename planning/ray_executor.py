"""Run expansion jobs (or any function over items) as Ray tasks, on one laptop or a cluster.

Every item becomes one Ray task that asks for ``num_cpus``/``num_gpus``/``memory`` from the
scheduler, so the same code runs on ``ray.init(num_cpus=2)`` and on a cluster
(``address="auto"``). A task whose worker dies (killed process, lost node, out of memory) is
re-queued by Ray up to ``max_retries`` times; after that it comes back as a buggy Expansion
(``info["error"]`` says why) and the search goes on. Ray is imported lazily: this module, like
the rest of ``planning``, imports nothing of the project above it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any, TypeVar

from planning.domain import Expansion, ExpansionJob
from planning.executors import Executor, ExpandFn, _check_workers, safe_expand

EXECUTORS = ("local", "ray")
T = TypeVar("T")
R = TypeVar("R")


@dataclass
class RaySettings:
    """Where Ray runs and what each task asks for (the ``ray`` section of every entry point).

    address: None starts a local Ray (``local_cpus`` CPUs, None = all) unless one is already
    running in this process; "auto" joins the cluster this machine belongs to; "ray://host:port"
    a remote one. num_cpus/num_gpus: per task (None: the entry point decides, e.g. the sandbox's
    CPUs and one GPU when the task wants one and the cluster has GPUs). memory_mb: memory each
    task reserves (None: no reservation). max_retries: times a task whose worker died is
    re-queued before it counts as failed.
    """

    address: str | None = None
    num_cpus: float | None = None
    num_gpus: float | None = None
    memory_mb: int | None = None
    max_retries: int = 1
    local_cpus: int | None = None


@dataclass(frozen=True)
class WorkerLost:
    """What a task returns in place of its result when its worker died after all retries."""

    error: str


def check_executor(name: str) -> str:
    """Return ``name`` if it is a known executor ("local" or "ray"), else raise ValueError."""
    if name not in EXECUTORS:
        raise ValueError(f"executor={name!r} is not known; use one of {', '.join(EXECUTORS)}")
    return name


def import_ray() -> ModuleType:
    """The ``ray`` module, with an error that says how to get it when it is missing."""
    try:
        import ray
    except ImportError as exc:  # pragma: no cover - ray is a declared dependency
        raise ImportError("executor=ray needs the ray package: pip install 'ray[default]'") from exc
    return ray


def ensure_ray(settings: RaySettings | None = None) -> ModuleType:
    """Connect to Ray as ``settings`` say, unless this process is connected already."""
    settings = settings or RaySettings()
    ray = import_ray()
    if not ray.is_initialized():
        local = settings.address is None
        ray.init(
            address=settings.address,
            num_cpus=settings.local_cpus if local else None,
            include_dashboard=False,
            log_to_driver=False,
        )
    return ray


def task_options(settings: RaySettings, num_cpus: float = 1.0, num_gpus: float = 0.0) -> dict:
    """Ray ``.options()`` of one task; unset fields of ``settings`` take the given defaults."""
    cpus = settings.num_cpus if settings.num_cpus is not None else num_cpus
    gpus = settings.num_gpus if settings.num_gpus is not None else num_gpus
    if cpus < 0 or gpus < 0 or settings.max_retries < 0:
        raise ValueError(
            f"ray.num_cpus, ray.num_gpus and ray.max_retries must be >= 0, "
            f"got {cpus}, {gpus}, {settings.max_retries}"
        )
    options: dict[str, Any] = {
        "num_cpus": cpus,
        "num_gpus": gpus,
        "max_retries": settings.max_retries,
        "retry_exceptions": False,
    }
    if settings.memory_mb is not None:
        options["memory"] = int(settings.memory_mb) * 2**20
    return options


def _call(fn: Callable[[T], R], item: T) -> R:
    return fn(item)


def ray_map(
    fn: Callable[[T], R],
    items: Sequence[T],
    options: dict[str, Any],
    max_in_flight: int | None = None,
    on_result: Callable[[int, R | WorkerLost], None] | None = None,
) -> list[R | WorkerLost]:
    """``fn(item)`` for every item as one Ray task each (Ray must be connected).

    At most ``max_in_flight`` tasks are submitted at a time (None: all at once). Results come
    back in submission order; a task whose worker died after its retries gives a
    :class:`WorkerLost`. ``on_result(index, result)`` is called as each task finishes.
    """
    ray = import_ray()
    remote = ray.remote(_call).options(**options)
    try:
        fn_ref = ray.put(fn)  # shipped once, shared by the batch's tasks
    except Exception as exc:  # cloudpickle raises several types
        raise TypeError(
            f"Ray tasks need {fn!r} and everything it holds to pickle, and it does not: {exc}"
        ) from exc
    if max_in_flight is None and on_result is None:  # no order of completion needed
        refs = [remote.remote(fn_ref, item) for item in items]
        return [_fetch(ray, ref) for ref in refs]
    limit = len(items) if max_in_flight is None else _check_workers(max_in_flight)
    results: list[Any] = [None] * len(items)
    pending: dict[Any, int] = {}
    submitted = 0
    while submitted < len(items) or pending:
        while submitted < len(items) and len(pending) < limit:
            pending[remote.remote(fn_ref, items[submitted])] = submitted
            submitted += 1
        ready, _ = ray.wait(list(pending), num_returns=1)
        rest = [ref for ref in pending if ref not in ready]
        done = ready + (ray.wait(rest, num_returns=len(rest), timeout=0)[0] if rest else [])
        for ref in done:
            index = pending.pop(ref)
            results[index] = _fetch(ray, ref)
            if on_result is not None:
                on_result(index, results[index])
    return results


def _fetch(ray: ModuleType, ref: Any) -> Any:
    """The task's result, or WorkerLost when Ray reports its worker (or node) gone."""
    try:
        return ray.get(ref)
    except ray.exceptions.RayTaskError as exc:  # fn raised: not a lost worker
        return WorkerLost(f"task raised: {exc}")
    except ray.exceptions.RayError as exc:
        return WorkerLost(f"ray worker lost ({type(exc).__name__}): {exc}")


class RayExecutor(Executor):
    """Runs each expansion job as a Ray task; ``fn`` (usually ``domain.expand``) must pickle.

    ``max_workers`` bounds the tasks in flight; ``settings`` say where Ray runs and what each
    task asks for (defaults: one CPU, no GPU). Ray is connected on the first ``map``.
    """

    def __init__(
        self,
        max_workers: int,
        settings: RaySettings | None = None,
        num_cpus: float = 1.0,
        num_gpus: float = 0.0,
    ) -> None:
        self.max_workers = _check_workers(max_workers)
        self.settings = settings or RaySettings()
        self.options = task_options(self.settings, num_cpus, num_gpus)

    def map(self, fn: ExpandFn, jobs: Sequence[ExpansionJob]) -> list[Expansion]:
        ensure_ray(self.settings)
        results = ray_map(_Safe(fn), jobs, self.options, self.max_workers)
        return [Expansion.failure(r.error) if isinstance(r, WorkerLost) else r for r in results]


@dataclass(frozen=True)
class _Safe:
    """``safe_expand`` bound to ``fn``, picklable for Ray."""

    fn: ExpandFn

    def __call__(self, job: ExpansionJob) -> Expansion:
        return safe_expand(self.fn, job)
