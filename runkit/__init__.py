"""Conventions shared by every entry point: run folders, logging, seeding, metrics, progress.

Like ``planning`` and ``gametheory``, this package imports nothing of the project above it.
"""

from planning.lazy_exports import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        "CONFIG_DIR": "runkit.hydra_app",
        "EnvConfig": "runkit.config",
        "PathNotFoundError": "runkit.preflight",
        "Preflight": "runkit.preflight",
        "RunConfig": "runkit.config",
        "RunContext": "runkit.run",
        "UsageError": "runkit.preflight",
        "exit_with_usage_error": "runkit.preflight",
        "hydra_entry_point": "runkit.hydra_app",
        "progress_bar": "runkit.progress",
        "resolve_device": "runkit.device",
        "seed_everything": "runkit.seeding",
        "start_run": "runkit.run",
    },
)
