"""``hydra/launcher=ray``: the jobs of a ``-m`` sweep as Ray tasks, on a local Ray or a cluster.

Each job asks the scheduler for ``num_cpus`` CPUs, ``num_gpus`` GPUs and ``memory_mb`` of memory
and runs the entry point's task function inside a Ray worker with its own sweep config, exactly
as hydra's basic launcher runs it in-process; ``address=auto`` joins the cluster this machine
belongs to (None starts a local Ray with ``local_cpus`` CPUs). A job whose worker is lost after
``max_retries`` re-queues comes back as a failed job naming the cause.
"""

# No ``from __future__ import annotations``: hydra's plugin scan imports this module without
# registering it in sys.modules, where dataclasses would look the postponed annotations up.
import logging
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from hydra.core.config_store import ConfigStore
from hydra.core.hydra_config import HydraConfig
from hydra.core.singleton import Singleton
from hydra.core.utils import JobReturn, JobStatus, configure_log, run_job, setup_globals
from hydra.plugins.launcher import Launcher
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig, open_dict

from planning.ray_executor import RaySettings, WorkerLost, ensure_ray, ray_map, task_options

log = logging.getLogger(__name__)


@dataclass
class RayLauncherConf:
    """The launcher's options: where Ray runs and what each job asks for (see RaySettings)."""

    _target_: str = "hydra_plugins.embodied_ray_launcher.ray_launcher.RayLauncher"
    address: str | None = None
    num_cpus: float = 1.0
    num_gpus: float = 0.0
    memory_mb: int | None = None
    max_retries: int = 0
    local_cpus: int | None = None


ConfigStore.instance().store(
    group="hydra/launcher", name="ray", node=RayLauncherConf, provider="embodied-platform"
)


@dataclass(frozen=True)
class _SweepJob:
    """One sweep job as a Ray task: hydra's global state restored, then the task function run."""

    hydra_context: HydraContext
    task_function: TaskFunction
    singleton_state: dict[Any, Any]

    def __call__(self, sweep_config: DictConfig) -> JobReturn:
        setup_globals()
        Singleton.set_state(self.singleton_state)
        HydraConfig.instance().set_config(sweep_config)
        return run_job(
            hydra_context=self.hydra_context,
            task_function=self.task_function,
            config=sweep_config,
            job_dir_key="hydra.sweep.dir",
            job_subdir_key="hydra.sweep.subdir",
        )


class RayLauncher(Launcher):
    """Launches every job of a sweep as one Ray task and waits for all of them."""

    def __init__(self, **settings: Any) -> None:
        self.settings = RaySettings(**settings)
        self.config: DictConfig | None = None
        self.hydra_context: HydraContext | None = None
        self.task_function: TaskFunction | None = None

    def setup(
        self, *, hydra_context: HydraContext, task_function: TaskFunction, config: DictConfig
    ) -> None:
        self.config, self.hydra_context, self.task_function = config, hydra_context, task_function

    def launch(
        self, job_overrides: Sequence[Sequence[str]], initial_job_idx: int
    ) -> Sequence[JobReturn]:
        assert self.config is not None and self.hydra_context is not None
        assert self.task_function is not None
        setup_globals()
        configure_log(self.config.hydra.hydra_logging, self.config.hydra.verbose)
        Path(str(self.config.hydra.sweep.dir)).mkdir(parents=True, exist_ok=True)
        configs = []
        for index, overrides in enumerate(job_overrides, start=initial_job_idx):
            sweep_config = self.hydra_context.config_loader.load_sweep_config(
                self.config, list(overrides)
            )
            with open_dict(sweep_config):
                sweep_config.hydra.job.id = f"{sweep_config.hydra.job.name}_{index}"
                sweep_config.hydra.job.num = index
            configs.append(sweep_config)
        ensure_ray(self.settings)
        log.info("launching %d jobs on Ray (%s)", len(configs), asdict(self.settings))
        job = _SweepJob(self.hydra_context, self.task_function, Singleton.get_state())
        options = task_options(self.settings, self.settings.num_cpus, self.settings.num_gpus)
        results = ray_map(job, configs, options)
        return [
            _failed(overrides, result) if isinstance(result, WorkerLost) else result
            for overrides, result in zip(job_overrides, results, strict=True)
        ]


def _failed(overrides: Sequence[str], lost: WorkerLost) -> JobReturn:
    """A job that never returned, as a failed JobReturn (hydra raises it when read)."""
    return JobReturn(
        overrides=list(overrides),
        status=JobStatus.FAILED,
        _return_value=RuntimeError(f"job {' '.join(overrides)}: {lost.error}"),
    )
