"""Hydra wiring shared by the entry points: where the config tree lives and how apps start.

Every entry point fails the same way on a user's mistake: one line on stderr naming the input
and what is valid, exit code 2, no traceback and no run folder left behind. Mistakes in the
command line are caught before hydra runs (:func:`runkit.command_line.check_overrides`); those
found once the job runs (an unknown environment id, a path that does not exist) are a
:class:`~runkit.UsageError` raised anywhere below the job (also as the cause of another error,
e.g. hydra's instantiation error), after which the run folder is removed if this start made it.
"""

from __future__ import annotations

import functools
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import hydra
from hydra.experimental.callback import Callback
from omegaconf import DictConfig, OmegaConf

from runkit.command_line import check_overrides
from runkit.preflight import UsageError, exit_with_usage_error
from runkit.status import recorded_status

CONFIG_DIR = Path(__file__).resolve().parents[1] / "configs"

# run folder -> the highest of its folders that did not exist before this start
_NEW_RUN_FOLDERS: dict[Path, Path] = {}
# what hydra and runkit write into a run folder before the entry point's own work starts
_START_FILES = {".hydra", "run.log", "run_status.json", "config.yaml"}


def config_groups(_root_: DictConfig) -> str:
    """``group: option, ...`` per line for ``--help``, for the groups of the entry point's
    config (``_root_``): the options on disk, so the ``*_schema`` nodes that type them
    (hydra's own list shows them) stay out of sight."""
    choices = OmegaConf.select(_root_, "hydra.runtime.choices") or {}
    lines = []
    for group in sorted(g for g in choices if not g.startswith("hydra")):
        options = sorted(f.stem for f in (CONFIG_DIR / group).glob("*.yaml"))
        lines.append(f"{group}: {', '.join(options)}")
    return "\n".join(lines) or "(none)"


OmegaConf.register_new_resolver("runkit_config_groups", config_groups, replace=True)


class NewRunFolder(Callback):
    """Notes, before hydra creates it, whether the run folder is new (``configs/run_defaults``),
    so that a start ended by a usage error can remove it and nothing else."""

    def on_run_start(self, config: DictConfig, **kwargs: Any) -> None:
        run_dir = Path(str(config.hydra.run.dir)).absolute()
        new = [folder for folder in (run_dir, *run_dir.parents) if not folder.exists()]
        if new:
            _NEW_RUN_FOLDERS[run_dir] = new[-1]


def remove_if_new(run_dir: Path) -> None:
    """Remove ``run_dir`` if this process's start created it and it holds only start files,
    and the folders above it that this start created (``outputs/<entry point>/``) if empty."""
    run_dir = run_dir.absolute()
    top = _NEW_RUN_FOLDERS.get(run_dir)
    if top is None or not {p.name for p in run_dir.iterdir()} <= _START_FILES:
        return
    shutil.rmtree(run_dir, ignore_errors=True)
    folder = run_dir.parent
    while folder != top.parent and folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()
        folder = folder.parent


def usage_error_in(error: BaseException) -> UsageError | None:
    """``error`` if it is a :class:`UsageError`, else the first one it was raised from."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, UsageError):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def checked_command_line(config_name: str, argv: list[str]) -> list[str]:
    """``argv`` with its overrides checked and group options spelt as on disk; flags that only
    print (``--help``, ``--cfg``, ``--info``) or pick another config tree pass unchecked."""
    from hydra._internal.utils import get_args_parser

    args = get_args_parser().parse_args(argv)
    if args.help or args.hydra_help or args.info or args.shell_completion:
        return argv
    if args.config_path or args.config_name or args.config_dir or args.experimental_rerun:
        return argv
    checked = iter(check_overrides(CONFIG_DIR, config_name, list(args.overrides)))
    pending = list(args.overrides)
    out = []
    for token in argv:
        if pending and token == pending[0]:
            pending.pop(0)
            out.append(next(checked))
        else:
            out.append(token)
    return out


def hydra_entry_point(
    config_name: str,
) -> Callable[[Callable[[DictConfig], Any]], Callable[..., Any]]:
    """Turn ``main(cfg)`` into a hydra app reading ``configs/<config_name>.yaml``; each job
    records its status (running, finished, failed, killed) in its run folder
    (:mod:`runkit.status`), and a user's mistake ends it as the module docstring says."""

    def decorate(main: Callable[[DictConfig], Any]) -> Callable[..., Any]:
        @functools.wraps(main)
        def job(cfg: DictConfig) -> Any:
            from hydra.core.hydra_config import HydraConfig

            runtime = HydraConfig.get()
            run_dir = Path(runtime.runtime.output_dir)
            try:
                with recorded_status(run_dir, runtime.job.name):
                    return main(cfg)
            except Exception as error:
                usage = usage_error_in(error)
                if usage is None:
                    raise
                remove_if_new(run_dir)
                exit_with_usage_error(usage)

        app = hydra.main(config_path=str(CONFIG_DIR), config_name=config_name, version_base="1.3")(
            job
        )

        @functools.wraps(main)
        def entry(cfg_passthrough: DictConfig | None = None) -> Any:
            if cfg_passthrough is None:
                try:
                    sys.argv[1:] = checked_command_line(config_name, sys.argv[1:])
                except UsageError as error:
                    exit_with_usage_error(error)
            return app(cfg_passthrough)

        return entry

    return decorate
