"""Checks of a research command line, run before hydra creates or touches the run folder.

* the task must exist (``task=wien`` lists the tasks there are, exit code 2, no run folder);
* a new run must not start in a folder that holds a run (its config would be overwritten);
* ``resume=true`` must name a run folder and change none of its saved settings
  (:mod:`research_agent.resume`); hydra then writes no ``.hydra/`` into it, so the run's own
  ``.hydra/`` (the overrides it was started with) stays as it was.

:class:`ResearchPreflight` runs them as a hydra callback (``configs/research.yaml``);
:func:`research_agent.run.research` runs the same checks when called any other way.
"""

from __future__ import annotations

import copy
from pathlib import Path

from omegaconf import DictConfig, OmegaConf, open_dict, read_write

from research_agent.resume import CONFIG_FILE, group_choices, resume_config
from research_agent.search import JOURNAL_FILE, STATE_FILE
from research_agent.tasks import SOURCES, find_source
from runkit import Preflight, UsageError


def check_task(task: str) -> None:
    """Raise :class:`UsageError`, listing the tasks there are, unless ``task`` names one (of
    a task source, :mod:`research_agent.tasks.sources`, or a folder holding task.yaml)."""
    found = find_source(task)
    if found is not None:
        source, name = found
        try:
            source.check(name)
        except KeyError as error:
            raise UsageError(f"task={task}: {error.args[0]}") from None
        return
    if (Path(task) / "task.yaml").is_file():
        return
    usages = "; ".join(source.usage for source in SOURCES.values())
    raise UsageError(
        f"task={task} is not a task: no task source names it and it is not a folder holding "
        f"task.yaml. {usages}; or the path of a task folder"
    )


def check_new_run_folder(run_dir: Path) -> None:
    """Raise :class:`UsageError` if ``run_dir`` already holds a research run."""
    held = [name for name in (CONFIG_FILE, JOURNAL_FILE, STATE_FILE) if (run_dir / name).exists()]
    if held:
        raise UsageError(
            f"{run_dir} already holds a run ({', '.join(held)}); continue it with "
            f"resume=true hydra.run.dir={run_dir}, or start the new run in another folder"
        )


class ResearchPreflight(Preflight):
    """The checks above on the composed command line, before the run folder exists."""

    def check(self, config: DictConfig) -> None:
        run_dir = Path(str(OmegaConf.select(config, "hydra.run.dir")))
        overrides = list(OmegaConf.select(config, "hydra.overrides.task") or [])
        choices = group_choices(config.hydra.runtime.choices)
        if not config.resume:
            check_task(config.task)
            check_new_run_folder(run_dir)
            return
        job = copy.deepcopy(config)
        with read_write(job), open_dict(job):
            del job["hydra"]
        resume_config(job, run_dir, overrides, choices)
        with read_write(config.hydra), open_dict(config.hydra):
            config.hydra.output_subdir = None  # the run's .hydra/ is its first start's
