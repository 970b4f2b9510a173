"""Conventions shared by every entry point: run folders, logging, seeding, metrics, progress.

Like ``planning`` and ``gametheory``, this package imports nothing of the project above it.
"""

from runkit.config import EnvConfig, RunConfig
from runkit.device import resolve_device
from runkit.hydra_app import CONFIG_DIR, hydra_entry_point
from runkit.preflight import PathNotFoundError, Preflight, UsageError, exit_with_usage_error
from runkit.progress import progress_bar
from runkit.run import RunContext, start_run
from runkit.seeding import seed_everything

__all__ = [
    "CONFIG_DIR",
    "EnvConfig",
    "PathNotFoundError",
    "Preflight",
    "RunConfig",
    "RunContext",
    "UsageError",
    "exit_with_usage_error",
    "hydra_entry_point",
    "progress_bar",
    "resolve_device",
    "seed_everything",
    "start_run",
]
