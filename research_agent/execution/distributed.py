"""Where a research run's solutions execute: on local threads or as Ray tasks (``executor=``).

With ``executor=ray`` each solution is proposed, run in the sandbox, graded and journalled inside
a Ray worker that asked the scheduler for the sandbox's CPUs and, when the task wants a GPU and
the cluster has some, one GPU (handed to the sandbox as CUDA_VISIBLE_DEVICES). Workers append
to the run's journal themselves, so the run folder must be on a file system every worker sees
(as on a Slurm cluster). A job whose worker is lost for good is journalled as a buggy node.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from planning.domain import Expansion, ExpansionJob
from planning.executors import Executor, ExpandFn, InlineExecutor, ThreadExecutor
from planning.ray_executor import RayExecutor, RaySettings, check_executor, ensure_ray, import_ray
from research_agent.execution.gpus import GpuPool

if TYPE_CHECKING:  # the domain is the layer above: it is handed in, never imported
    from research_agent.research_domain import ResearchDomain


class RayGpus(GpuPool):
    """The GPU Ray assigned to the current task (by its ``num_gpus`` request), or None."""

    def __init__(self) -> None:
        super().__init__(0)

    def acquire(self) -> int | None:
        """Slot 0 when Ray assigned a GPU: Ray lists it in the worker's CUDA_VISIBLE_DEVICES,
        through which the sandbox maps a slot (a physical id is no slot there)."""
        return 0 if import_ray().get_gpu_ids() else None

    def release(self, gpu: int | None) -> None:
        return None


class JournalledExecutor(Executor):
    """Wraps an executor: a job that comes back without a solution (its worker died or the
    job could not run) is journalled as a buggy execution, so every node has its record."""

    def __init__(self, inner: Executor, domain: ResearchDomain) -> None:
        self.inner = inner
        self.domain = domain

    def map(self, fn: ExpandFn, jobs: Sequence[ExpansionJob]) -> list[Expansion]:
        results = self.inner.map(fn, jobs)
        for result in results:  # remote workers remember on their copies of the domain
            if result.payload is not None:
                self.domain.remember(result.payload["code"])
        return [
            self.domain.failed(job, r.info.get("error", "unknown failure"))
            if r.payload is None
            else r
            for job, r in zip(jobs, results, strict=True)
        ]

    def shutdown(self) -> None:
        self.inner.shutdown()


def make_executor(
    name: str,
    workers: int,
    domain: ResearchDomain,
    settings: RaySettings | None = None,
    cpus: int = 1,
) -> Executor:
    """The executor ``name`` ("local" or "ray") running ``workers`` solutions at a time.

    For Ray each task asks for ``cpus`` CPUs (the sandbox's) and, when the task wants a GPU and
    the cluster has GPUs, one GPU, unless ``settings`` say otherwise; ``domain`` then takes its
    GPU from Ray.
    """
    if check_executor(name) == "local":
        return ThreadExecutor(workers) if workers > 1 else InlineExecutor()
    settings = settings or RaySettings()
    ray = ensure_ray(settings)
    has_gpus = ray.cluster_resources().get("GPU", 0) > 0
    gpus = 1.0 if domain.task.spec.wants_gpu and has_gpus else 0.0
    if (settings.num_gpus if settings.num_gpus is not None else gpus) > 0:
        domain.gpus = RayGpus()
    else:
        domain.gpus = GpuPool(0)  # a local pool's queue neither pickles nor means anything there
    return RayExecutor(workers, settings, num_cpus=cpus, num_gpus=gpus)
