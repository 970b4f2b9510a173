"""MLGym tasks as research tasks: ``task=mlgym:<configs/tasks/<name>.yaml of an MLGym tree>``.

An MLGym task config holds ``id``, ``name``, ``description`` (``{dataset_docs}`` is replaced by
the datasets' descriptions), ``task_entrypoint``, ``dataset_configs`` (paths under the
``configs/`` folder to dataset configs with ``name``, ``description``, ``data_path``,
``is_local``), ``starter_code`` (paths under the tree's root, copied flat into the task's
workspace), ``baseline_paths``, ``baseline_scores`` (a list of metric dicts),
``evaluation_paths`` (workspace-relative: the first one is run),
``training_timeout``, ``sample_submission``, ``secret_files`` and more. MLGym copies each local
dataset into ``<workspace>/data`` and runs ``python evaluate.py --submission_file
<workspace>/submission.csv``, which prints a JSON dict of metrics.

Here the solution's sandbox sees the dataset files and the starter files (DATA_DIR, linked as
``./data`` by the starter) except the secret ones: ``secret_files`` and the held-out answers by
name (``answer*``, ``*ground_truth*``, ``test_labels*``, ``*_answers*``, ``*secret*``). The
evaluation script runs outside the sandbox in a private copy of the MLGym workspace (its
``/home/agent/workspace`` paths pointed there) holding every dataset file and the solution's
``submission.csv``. The metric and its direction: ``metric`` / ``metric_direction`` keys when
the config has them, else MLGym's own table of its tasks' priority metrics, else the first key
of ``baseline_scores`` (direction guessed from its name). The search is scored on a validation
split (the task's own ``validation.csv`` / ``valid.csv`` / ``val.csv`` / ``dev.csv``, else
``validation_fraction`` of ``train.csv``: see
:mod:`~research_agent.tasks.external.validation_split`), graded by the same evaluation
script with the split's answers in place of its answer files; MLGym's baseline is the starter,
run once per split. Only ``CSVSubmissionTasks`` are
supported: the other entrypoints' graders import the solution's own code or checkpoints, which
would then run outside the sandbox next to the answers.
"""

from __future__ import annotations

import csv
import fnmatch
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from research_agent.tasks.external.grading import (
    GRADER_TIMEOUT_S,
    SubmissionGrader,
    grader_python,
    run_grader,
    score_of,
)
from research_agent.tasks.external.layout import ExternalLayout
from research_agent.tasks.external.submission_files import SUBMISSION
from research_agent.tasks.external.tabular import (
    TabularAdapter,
)
from research_agent.tasks.external.task_config import (
    ExternalTaskError,
    guess_direction,
    read_yaml,
    require,
)
from research_agent.tasks.external.validation_split import (
    VALIDATION_FRACTION,
)
from research_agent.tasks.external.view import link_or_copy, write_view_files
from research_agent.tasks.sources import register_task_source
from research_agent.tasks.spec import TaskSpec

log = logging.getLogger(__name__)
CONTAINER_WORKSPACE = "/home/agent/workspace"
SUPPORTED_ENTRYPOINTS = ("CSVSubmissionTasks",)
VALIDATION_FILES = ("validation.csv", "valid.csv", "val.csv", "dev.csv")  # a task's own
SECRET_PATTERNS = ("answer*", "*ground_truth*", "test_labels*", "*_answers*", "*secret*")
MEMORY_MB = 8192
DEFAULT_TIMEOUT_S = 1800.0

# MLGym's own priority metric and direction of its tasks (mlgym/evaluation/utils.py: TASKS)
KNOWN_METRICS: dict[str, tuple[str, str]] = {
    "regressionKaggleHousePrice": ("r2", "maximize"),
    "3SATTime": ("Time", "minimize"),
    "imageClassificationCifar10": ("accuracy", "maximize"),
    "imageClassificationFMnist": ("accuracy", "maximize"),
    "imageCaptioningCOCO": ("BLEU Score", "maximize"),
    "languageModelingFineWeb": ("val_loss", "minimize"),
    "naturalLanguageInferenceMNLI": ("validation_accuracy", "maximize"),
    "battleOfSexes": ("Score", "maximize"),
    "prisonersDilemma": ("Score", "maximize"),
    "blotto": ("Score", "maximize"),
    "rlBreakoutMinAtar": ("Reward Mean", "maximize"),
    "rlMetaMazeMisc": ("Reward Mean", "maximize"),
    "rlMountainCarContinuous": ("Reward Mean", "maximize"),
}

CONTRACT = (
    "\n\nThe task's data files (and its starter files) are in DATA_DIR; the baseline program "
    "links that folder as ./data. Write {submission} into OUTPUT_DIR (the working directory); "
    "it is graded by the task's own evaluation script ({metric}, {better} is better) on "
    "held-out answers."
)

BASELINE_STARTER = '''"""MLGym's baseline ({name}) run twice, as in MLGym's workspace (./data is
DATA_DIR): on the task's data for submission.csv, then with val.csv as test.csv for
val_submission.csv (the validation rows)."""

import os
import shutil
import subprocess
import sys

DATA = os.environ.get("DATA_DIR", "/data")
OUT = os.path.abspath(os.environ.get("OUTPUT_DIR", "."))
BASELINE = {code!r}


def run(data, folder):
    """Run the baseline in ``folder`` with ``data`` as ./data; the submission it wrote."""
    os.makedirs(folder, exist_ok=True)
    if not os.path.lexists(os.path.join(folder, "data")):
        os.symlink(data, os.path.join(folder, "data"))
    with open(os.path.join(folder, "{name}"), "w") as f:
        f.write(BASELINE)
    subprocess.run([sys.executable, "{name}"], cwd=folder, check=True)
    return os.path.join(folder, "submission.csv")


run(DATA, OUT)
validation = os.path.join(OUT, "validation_data")
os.makedirs(validation, exist_ok=True)
for name in os.listdir(DATA):
    if name not in ("test.csv", "val.csv"):
        os.symlink(os.path.join(DATA, name), os.path.join(validation, name))
os.symlink(os.path.join(DATA, "val.csv"), os.path.join(validation, "test.csv"))
written = run(validation, os.path.join(OUT, "validation_run"))
shutil.move(written, os.path.join(OUT, "val_submission.csv"))
'''


@dataclass(frozen=True)
class MLGymTask:
    """What an MLGym task config (and its dataset configs) says, with paths resolved."""

    id: str
    config: Path
    description: str
    metric: str
    direction: str
    baseline_score: float | None
    timeout_s: float
    evaluation: Path
    baseline: Path | None
    sample_submission: Path | None
    data_files: dict[str, Path] = field(default_factory=dict)
    starter_files: dict[str, Path] = field(default_factory=dict)
    secret: frozenset[str] = frozenset()
    validation: str | None = None
    validation_fraction: float = VALIDATION_FRACTION


def _strings(raw: dict[str, Any], key: str, path: Path) -> list[str]:
    value = raw.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ExternalTaskError(f"{path}: key {key!r} must be a list of paths, got {value!r}")
    return value


def _config_dir(config: Path, dataset_configs: list[str]) -> Path:
    """MLGym's CONFIG_DIR: the parent of ``config`` that the dataset config paths are under."""
    parents = list(config.resolve().parents)
    for parent in parents:
        if dataset_configs and all((parent / p).is_file() for p in dataset_configs):
            return parent
    if dataset_configs:
        raise ExternalTaskError(
            f"{config}: key 'dataset_configs': {dataset_configs} not found under any parent "
            "folder (MLGym resolves them under its configs/ folder)"
        )
    named = [p for p in parents if p.name == "configs"]
    return named[0] if named else config.resolve().parent.parent


def _files_under(folder: Path) -> dict[str, Path]:
    return {str(p.relative_to(folder)): p for p in sorted(folder.rglob("*")) if p.is_file()}


def _is_secret(relative: str, secret_files: list[str]) -> bool:
    name = Path(relative).name.lower()
    listed = {s.removeprefix("data/") for s in secret_files} | {Path(s).name for s in secret_files}
    if relative in listed or Path(relative).name in listed:
        return True
    return any(fnmatch.fnmatch(name, pattern) for pattern in SECRET_PATTERNS)


def read_mlgym(config: Path) -> MLGymTask:
    """The MLGym task of the config file ``config``."""
    if not config.is_file():
        raise FileNotFoundError(
            f"mlgym:{config}: no such file; expected an MLGym task config "
            "(configs/tasks/<name>.yaml inside an MLGym tree, with its configs/datasets/ and data/)"
        )
    raw = read_yaml(config, "an MLGym task config")
    task_id = require(raw, "id", config)
    require(raw, "name", config)
    description = require(raw, "description", config)
    entry = raw.get("task_entrypoint", "CSVSubmissionTasks")
    if entry not in SUPPORTED_ENTRYPOINTS:
        raise ExternalTaskError(
            f"{config}: task_entrypoint {entry!r} is not supported (only {SUPPORTED_ENTRYPOINTS}):"
            " its evaluation imports the solution's code or checkpoints, which would run outside"
            " the sandbox next to the held-out answers"
        )
    evaluation_paths = _strings(raw, "evaluation_paths", config)
    if not evaluation_paths:
        raise ExternalTaskError(f"{config}: missing required key 'evaluation_paths'")
    dataset_configs = _strings(raw, "dataset_configs", config)
    config_dir = _config_dir(config, dataset_configs)
    repo = config_dir.parent
    secret_files = _strings(raw, "secret_files", config)
    docs, data_files, secret = "", {}, set()
    for relative in dataset_configs:
        dataset_file = config_dir / relative
        dataset = read_yaml(dataset_file, "an MLGym dataset config")
        name = require(dataset, "name", dataset_file)
        docs += f"{name.upper()}:\n{require(dataset, 'description', dataset_file)}\n\n"
        data_path = require(dataset, "data_path", dataset_file)
        if not dataset.get("is_local", False):
            log.warning(
                "%s: dataset %s is not local (%s): solutions run offline", config, name, data_path
            )
            continue
        folder = repo / data_path
        if not folder.is_dir():
            raise ExternalTaskError(f"{dataset_file}: key 'data_path': {folder} is not a folder")
        for rel, path in _files_under(folder).items():
            data_files[rel] = path
            if _is_secret(rel, secret_files):
                secret.add(rel)
    starter_files = {}
    for relative in _strings(raw, "starter_code", config):
        path = repo / relative
        if not path.exists():
            raise ExternalTaskError(f"{config}: key 'starter_code': {path} does not exist")
        if path.is_dir():
            starter_files.update({f"{path.name}/{k}": v for k, v in _files_under(path).items()})
        else:
            starter_files[path.name] = path

    def in_workspace(key: str, relative: str) -> Path:
        if relative in starter_files:
            return starter_files[relative]
        raise ExternalTaskError(
            f"{config}: key {key!r}: {relative!r} is not among the starter_code files "
            f"({sorted(starter_files)})"
        )

    evaluation = in_workspace("evaluation_paths", str(evaluation_paths[0]))
    baselines = _strings(raw, "baseline_paths", config)
    baseline = in_workspace("baseline_paths", baselines[0]) if baselines else None
    sample = raw.get("sample_submission")
    sample_path = repo / sample if isinstance(sample, str) else None
    sample_path = sample_path or starter_files.get("sample_submission.csv")
    if isinstance(sample, str) and not (repo / sample).is_file():
        raise ExternalTaskError(f"{config}: key 'sample_submission': {repo / sample} not found")
    scores = raw.get("baseline_scores") or []
    if not isinstance(scores, list) or not all(isinstance(s, dict) for s in scores):
        raise ExternalTaskError(f"{config}: key 'baseline_scores' must be a list of dicts")
    known = KNOWN_METRICS.get(task_id)
    metric = raw.get("metric") or (known[0] if known else None)
    if metric is None and scores and scores[0]:
        metric = next(iter(scores[0]))
    if not isinstance(metric, str):
        raise ExternalTaskError(
            f"{config}: no metric: add baseline_scores (e.g. [{{accuracy: 0.76}}]) or a "
            "'metric' key naming the evaluation JSON's score"
        )
    direction = raw.get("metric_direction") or (known[1] if known else guess_direction(metric))
    baseline_score = scores[0].get(metric) if scores else None
    timeout = raw.get("training_timeout") or DEFAULT_TIMEOUT_S
    fraction = raw.get("validation_fraction", VALIDATION_FRACTION)
    if isinstance(fraction, bool) or not isinstance(fraction, int | float):
        raise ExternalTaskError(f"{config}: key 'validation_fraction' must be a number in (0, 1)")
    own = [r for r in data_files if r not in secret and Path(r).name.lower() in VALIDATION_FILES]
    return MLGymTask(
        id=task_id,
        config=config,
        description=description.replace("{dataset_docs}", docs),
        metric=metric,
        direction=direction,
        baseline_score=None if baseline_score is None else float(baseline_score),
        timeout_s=float(timeout),
        evaluation=evaluation,
        baseline=baseline,
        sample_submission=sample_path,
        data_files=data_files,
        starter_files=starter_files,
        secret=frozenset(secret),
        validation=own[0] if own else None,
        validation_fraction=float(fraction),
    )


@dataclass(frozen=True)
class MLGymGrader(SubmissionGrader):
    """Runs the task's evaluation script on ``submission.csv`` in a private copy of its MLGym
    workspace (every dataset file under ``data/``, the starter files), outside the sandbox; for
    the validation split, its answer files (those with the sample submission's columns) are
    the validation answers."""

    task: MLGymTask | None = None
    timeout_s: float = GRADER_TIMEOUT_S

    def run(self, submission: Path, folder: Path, answers: Path | None) -> dict[str, Any]:
        assert self.task is not None
        swapped = set() if answers is None else answer_files(self.task, csv_header(answers))
        if answers is not None and not swapped:
            return {"error": f"none of {sorted(self.task.secret)} can hold the validation answers"}
        for relative, source in self.task.data_files.items():
            target = folder / "data" / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.symlink_to((answers if relative in swapped else source).resolve())  # type: ignore[union-attr]
        for relative, source in self.task.starter_files.items():
            target = folder / relative
            if not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                target.symlink_to(source.resolve())
        script = folder / self.task.evaluation.name
        script.unlink(missing_ok=True)
        code = self.task.evaluation.read_text().replace(CONTAINER_WORKSPACE, str(folder))
        script.write_text(code)
        argv = [grader_python(), str(script), "--submission_file", str(submission)]
        return score_of(run_grader(argv, folder, self.timeout_s), self.metric)


def csv_header(path: Path) -> list[str]:
    """The first row of a CSV file (empty when it has none)."""
    with path.open(newline="") as f:
        return next(csv.reader(f), [])


def answer_files(task: MLGymTask, header: list[str]) -> set[str]:
    """The task's secret data files that hold answers in the columns ``header`` (the sample
    submission's): the ones the validation answers stand in for when grading the split."""
    return {
        relative
        for relative in task.secret
        if relative.lower().endswith(".csv") and csv_header(task.data_files[relative]) == header
    }


@register_task_source
class MLGymLayout(ExternalLayout):
    """``task=mlgym:<configs/tasks/<name>.yaml of an MLGym tree>``."""

    prefix = "mlgym"
    usage = "mlgym:<MLGym task config>"

    def read(self, path: Path) -> MLGymTask:
        mlgym = read_mlgym(path)
        if mlgym.sample_submission is None:
            raise ExternalTaskError(
                f"{path}: no sample submission (key 'sample_submission' or a starter file "
                "sample_submission.csv): its columns say what the validation answers are"
            )
        sample = mlgym.sample_submission
        if not answer_files(mlgym, csv_header(sample)):
            raise ExternalTaskError(
                f"{path}: none of the task's answer files {sorted(mlgym.secret)} has the columns "
                f"of {sample.name} ({csv_header(sample)}): the evaluation script cannot grade a "
                "validation split"
            )
        return mlgym

    def identity(self, task: MLGymTask) -> tuple[str, Path]:
        return task.id, task.config

    def sources(self, task: MLGymTask) -> list[Path]:
        assert task.sample_submission is not None
        return [
            task.config,
            task.sample_submission,
            *task.data_files.values(),
            *task.starter_files.values(),
        ]

    def write_view(self, task: MLGymTask, staged: Path) -> TaskSpec:
        assert task.sample_submission is not None
        sample, public = task.sample_submission, staged / "public"
        for relative, source in task.data_files.items():
            if relative not in task.secret and relative != task.validation:
                link_or_copy(source, public / relative)
        for relative, source in task.starter_files.items():
            if not (public / relative).exists():
                link_or_copy(source, public / relative)
        if task.secret:
            log.info("%s: kept out of the sandbox: %s", task.id, sorted(task.secret))
        if not (public / sample.name).exists():
            link_or_copy(sample, public / sample.name)
        own = None if task.validation is None else task.data_files[task.validation]
        better = "higher" if task.direction == "maximize" else "lower"
        description = task.description.strip() + CONTRACT.format(
            submission=SUBMISSION, metric=task.metric, better=better
        )
        starter = None
        if task.baseline is not None:
            code = task.baseline.read_text()
            starter = BASELINE_STARTER.format(name=task.baseline.name, code=code)
        description, kind = write_view_files(
            staged, public / sample.name, description, task.validation_fraction, own, starter
        )
        return TaskSpec(
            id=task.id,
            description=description,
            kind=kind,
            metric=task.metric,
            direction=task.direction,
            time_limit_s=task.timeout_s,
            memory_mb=MEMORY_MB,
        )

    def grader(self, task: MLGymTask, view: Path) -> MLGymGrader:
        tabular = TabularAdapter.load(view)
        return MLGymGrader(metric=task.metric, adapter=tabular, root=view, task=task)


__all__ = ["MLGymGrader", "MLGymLayout", "answer_files", "read_mlgym"]
