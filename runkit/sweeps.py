"""The jobs of a multirun (``-m``): the override lines of each job hydra's basic sweeper runs.

A multirun's command line is checked job by job, with the same checks as a single run
(:func:`runkit.command_line.check_overrides`, :class:`runkit.Preflight`), before any job starts:
a mistake in the third swept value must not end the sweep after two jobs ran.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

from hydra.core.override_parser.types import Override

#: up to this many jobs every combination of the swept values is checked; past it, each swept
#: value once (with the other sweeps at their first value), so a large sweep starts quickly
MAX_COMBINATIONS_CHECKED = 64


def is_expandable(overrides: Sequence[Override]) -> bool:
    """Whether hydra's basic sweeper can enumerate ``overrides`` (no interval sweeps)."""
    return all(o.is_discrete_sweep() for o in overrides if o.is_sweep_override())


def sweep_jobs(overrides: Sequence[Override]) -> list[list[str]]:
    """The override lines of the jobs to check: every combination of the swept values (as
    hydra's basic sweeper runs them), or each swept value once when there are more than
    :data:`MAX_COMBINATIONS_CHECKED` combinations. ``overrides`` must be enumerable
    (:func:`is_expandable`); a glob sweep needs a parser made with the config loader."""
    choices = [
        [f"{o.get_key_element()}={value}" for value in o.sweep_string_iterator()]
        if o.is_sweep_override()
        else [o.input_line]
        for o in overrides
    ]
    if math.prod(len(c) for c in choices) <= MAX_COMBINATIONS_CHECKED:
        return [list(job) for job in itertools.product(*choices)]
    first = [c[0] for c in choices]
    jobs = [first]
    for index, values in enumerate(choices):
        for value in values[1:]:
            jobs.append([*first[:index], value, *first[index + 1 :]])
    return jobs
