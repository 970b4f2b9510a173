"""The view folder of an external task: what the sandbox sees (links to the public files only),
its starter solution and ``task.yaml``, rebuilt when the task's own files change."""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Callable, Iterable
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import yaml

from research_agent.solutions.program import render
from research_agent.solutions.space import default_config
from research_agent.tasks.external.tabular import adapter_note, write_tabular_arrays
from research_agent.tasks.external.validation_split import split_note, write_validation_split
from research_agent.tasks.spec import TaskSpec, publish, staging_folder

SAMPLE_STARTER = '''"""Baseline: the sample submission's first answer for every row of test.csv
(written to submission.csv) and of val.csv (the validation rows, to val_submission.csv)."""

import csv
import os

DATA = os.environ.get("DATA_DIR", "/data")
OUT = os.environ.get("OUTPUT_DIR", ".")

with open(os.path.join(DATA, "{sample}"), newline="") as f:
    header, first = list(csv.reader(f))[:2]
for rows, submission in (("test.csv", "submission.csv"), ("val.csv", "val_submission.csv")):
    with open(os.path.join(DATA, rows), newline="") as f:
        ids = [row[header[0]] for row in csv.DictReader(f)]
    with open(os.path.join(OUT, submission), "w", newline="") as f:
        csv.writer(f).writerows([header, *([i, *first[1:]] for i in ids)])
'''


def link_or_copy(source: Path, target: Path) -> None:
    """A hard link of ``source`` at ``target`` (a copy across file systems)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def signature(paths: Iterable[Path]) -> str:
    """A digest of the paths' names, sizes and modification times (files under folders too)."""
    digest = hashlib.sha256()
    for path in paths:
        files = sorted(path.rglob("*")) if path.is_dir() else [path]
        for file in files:
            if file.is_file():
                stat = file.stat()
                digest.update(f"{file}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def view_folder(cache: Path, layout: str, task_id: str, source: Path) -> Path:
    """Where the view of the task at ``source`` lives in ``cache``."""
    digest = hashlib.sha256(str(source.resolve()).encode()).hexdigest()[:10]
    return cache / "external" / f"{layout}-{task_id}-{digest}"


def build_view(
    root: Path,
    stamp: str,
    write: Callable[[Path], TaskSpec],
    score_baseline: Callable[[Path, TaskSpec], float | None] | None = None,
) -> dict[str, Any]:
    """The ``task.yaml`` of the view folder ``root``, rebuilt when its sources changed (when
    ``stamp`` differs): ``write(staged)`` fills ``staged/public``, ``staged/private`` (the
    validation answers) and ``staged/starter`` and returns the spec; ``score_baseline(staged,
    spec)`` gives the baseline's validation score."""
    stamp_file = root / "source_signature"
    if (root / "task.yaml").is_file() and stamp_file.is_file() and stamp_file.read_text() == stamp:
        return yaml.safe_load((root / "task.yaml").read_text())
    tmp = staging_folder(root)
    (tmp / "public").mkdir(parents=True)
    spec = write(tmp)
    (tmp / "public" / "description.md").write_text(spec.description + "\n")
    if score_baseline is not None:
        spec = replace(spec, baseline_score=score_baseline(tmp, spec))
    (tmp / "task.yaml").write_text(yaml.safe_dump(asdict(spec), sort_keys=False))
    (tmp / "source_signature").write_text(stamp)
    if root.exists():
        shutil.rmtree(root)
    publish(tmp, root)
    return yaml.safe_load((root / "task.yaml").read_text())


def write_starter(staged: Path, code: str) -> None:
    """The starter solution of a view folder."""
    (staged / "starter").mkdir(exist_ok=True)
    (staged / "starter" / "solution.py").write_text(code)


def write_view_files(
    staged: Path,
    sample: Path,
    description: str,
    fraction: float,
    own_validation: Path | None = None,
    starter: str | None = None,
) -> tuple[str, str]:
    """What every external layout writes once ``staged/public`` holds the task's public files
    and its sample submission ``sample``: the validation split (its answers under
    ``staged/private``), the tabular arrays when the task is tabular, and the starter
    (``starter`` when the task has its own, else the linear config on tabular arrays, else the
    sample's answers). Returns ``description`` with the notes on them, and the task's kind."""
    public = staged / "public"
    split = write_validation_split(public, sample, staged / "private", own_validation, fraction)
    tabular = write_tabular_arrays(public, sample, staged)
    description += split_note(split)
    if tabular is not None:
        description += adapter_note(tabular)
    if starter is None:
        linear = None if tabular is None else render(default_config("linear"), tabular.kind)
        starter = linear or SAMPLE_STARTER.format(sample=sample.name)
    write_starter(staged, starter)
    return description, "submission" if tabular is None else tabular.kind
