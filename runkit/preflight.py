"""Checks that run on the composed config before hydra creates or touches the run folder.

A bad command line (an unknown task, a resume that would change the run's settings) should
fail with one clear line and exit code 2, and leave no run folder behind. Hydra creates the run
folder and writes ``.hydra/`` before it calls the entry point, so such checks run in a hydra
callback's ``on_run_start``: an entry point's config names a :class:`Preflight` subclass under
``hydra.callbacks``. A multirun (``-m``) runs the same check on every job's config
(:mod:`runkit.sweeps`) in ``on_multirun_start``, before the first job. The entry point itself
raises :class:`UsageError` for the same mistakes when it is called some other way (the Python
API).
"""

from __future__ import annotations

import sys
from typing import Any, NoReturn

from hydra.core.global_hydra import GlobalHydra
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.experimental.callback import Callback
from omegaconf import DictConfig

from runkit.sweeps import is_expandable, sweep_jobs

USAGE_EXIT_CODE = 2


class UsageError(ValueError):
    """A mistake in the command line or config that the user can fix; its message says how."""


class PathNotFoundError(UsageError, FileNotFoundError):
    """A path the user gave does not exist (or is not what it must be); a usage error and a
    :class:`FileNotFoundError`."""

    __str__ = UsageError.__str__  # OSError's would show its errno fields


def exit_with_usage_error(error: UsageError) -> NoReturn:
    """Print ``error`` as one line on stderr (no traceback) and exit with code 2."""
    print(f"error: {' '.join(str(error).split())}", file=sys.stderr)
    sys.exit(USAGE_EXIT_CODE)


class Preflight(Callback):
    """Runs :meth:`check` on the whole composed config (``hydra`` node included) before the run
    folder exists; a :class:`UsageError` ends the program with exit code 2."""

    def check(self, config: DictConfig) -> None:
        """Raise :class:`UsageError` for a config that must not start; may adjust ``hydra``."""

    def on_run_start(self, config: DictConfig, **kwargs: Any) -> None:
        try:
            self.check(config)
        except UsageError as error:
            exit_with_usage_error(error)

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        """:meth:`check` on the config of each job of the sweep, before the sweep folder
        exists; ``config`` is the sweep's (its swept keys unset)."""
        loader = GlobalHydra.instance().config_loader()
        parser = OverridesParser.create(config_loader=loader)
        overrides = parser.parse_overrides(list(config.hydra.overrides.task))
        if not is_expandable(overrides):
            return  # another sweeper's (interval) sweep: its jobs are not known ahead
        try:
            for job in sweep_jobs(overrides):
                self.check(loader.load_sweep_config(config, job))
        except UsageError as error:
            exit_with_usage_error(error)
