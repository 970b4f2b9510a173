"""Tasks in other benchmarks' layouts (MLGym, MLE-bench), graded by their own graders.

``research_agent.tasks.layouts.load_external("mlgym:<task config>")`` / ``("mlebench:<folder>")``
turn a user's task into a :class:`~research_agent.tasks.spec.Task` whose ``grader`` runs the
task's own evaluation script (or grade function) in a subprocess outside the sandbox:

* the solution runs sandboxed on a *view* folder (``<cache>/external/<layout>-<id>-<hash>/``)
  holding links to the public files only, and writes ``submission.csv`` into its workspace;
* the grader copies that one file into a private grading folder, runs the task's grader there
  (where the held-out answers are in reach) and reads the score from the grader's JSON (or the
  grade function's return value), never from what the solution printed.

Held-out answers never steer the search: a validation split is held out of the training data
(:func:`write_validation_split`: the task's own validation file, else 20% of ``train.csv``,
seeded and stratified), published as ``val.csv`` without its answers; the solution also writes
``val_submission.csv`` for it, which the task's grader scores against the split's answers
(``private/val_answers.csv`` of the view). That "val" score is every score the search and the
selection see; "test" (``submission.csv`` against the held-out answers) is graded once, for
the final solution.

Tabular CSV tasks (a two-column sample submission: an id and a target that ``train.csv``
has) also get the built-in ``*_X.npy`` / ``train_y.npy`` files, so the programmatic
operators' templates run on them; a workspace with ``<split>_predictions.npy`` and no
submission file of that split is turned into one (see :class:`TabularAdapter`).
"""

from __future__ import annotations

import csv
import hashlib
import json
import logging
import math
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from research_agent.solutions.workspace_files import (
    MissingWorkspaceFile,
    WorkspaceFileError,
    check,
    copy_out,
    load_array,
)
from research_agent.tasks.spec import Task, TaskSpec, publish, staging_folder

log = logging.getLogger(__name__)

MAX_SUBMISSION_BYTES = 64 * 2**20
SUBMISSION = "submission.csv"
VAL_SUBMISSION = "val_submission.csv"  # the solution's predictions for the validation rows
VAL_CSV = "val.csv"  # public: the validation rows in test.csv's columns, no answers
VAL_ANSWERS = "val_answers.csv"  # private: their answers, in the sample submission's columns
VALIDATION_FRACTION = 0.2
SPLIT_SEED = 0
SPLITS = ("val", "test")
OUTPUTS = (SUBMISSION, VAL_SUBMISSION, "val_predictions.npy", "test_predictions.npy")
GRADER_TIMEOUT_S = 600.0
MAX_CATEGORIES = 50
MAX_CLASSES = 20
ADAPTER_FILE = "tabular_adapter.json"


class ExternalTaskError(ValueError):
    """A task folder or config that cannot be loaded; the message names the file and key."""


def grader_python() -> str:
    """The Python that runs the tasks' graders: ``$RESEARCH_GRADER_PYTHON`` (e.g. the venv of
    the user's mle-bench checkout) or this one."""
    return os.environ.get("RESEARCH_GRADER_PYTHON") or sys.executable


def read_yaml(path: Path, what: str) -> dict[str, Any]:
    """The mapping in the YAML file ``path``, or an :class:`ExternalTaskError` naming it."""
    if not path.is_file():
        raise ExternalTaskError(f"{path} does not exist; expected {what}")
    try:
        raw = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise ExternalTaskError(f"{path} is not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise ExternalTaskError(f"{path} must hold a mapping ({what}), got {type(raw).__name__}")
    return raw


def require(raw: dict[str, Any], key: str, path: Path, kind: type | tuple[type, ...] = str) -> Any:
    """``raw[key]`` checked for presence and type; errors name ``path`` and ``key``."""
    if key not in raw or raw[key] is None:
        raise ExternalTaskError(f"{path}: missing required key {key!r}")
    if not isinstance(raw[key], kind):
        names = kind.__name__ if isinstance(kind, type) else "/".join(k.__name__ for k in kind)
        raise ExternalTaskError(f"{path}: key {key!r} must be {names}, got {raw[key]!r}")
    return raw[key]


def guess_direction(metric: str) -> str:
    """ "minimize" for losses, errors and times (by the metric's name), else "maximize"."""
    name = metric.lower()
    lower = ("loss", "error", "rmse", "mse", "mae", "rmsle", "time", "perplexity", "distance")
    return "minimize" if any(word in name for word in lower) else "maximize"


# --- running a grader -----------------------------------------------------------------------


def parse_metrics(stdout: str) -> dict[str, Any] | None:
    """The JSON object a grader printed: its whole output, else its last line that is one."""
    try:
        value = json.loads(stdout)
        if isinstance(value, dict):
            return value
    except json.JSONDecodeError:
        pass
    for line in reversed(stdout.strip().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                value = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(value, dict):
                return value
    return None


def run_grader(argv: list[str], cwd: Path, timeout_s: float = GRADER_TIMEOUT_S) -> dict[str, Any]:
    """Run a grader process; its JSON metrics, or ``{"error": ...}`` saying what went wrong."""
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    try:
        proc = subprocess.run(
            argv,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout_s,
            start_new_session=True,
        )
    except subprocess.TimeoutExpired:
        return {"error": f"the grader took longer than {timeout_s:g} s"}
    except OSError as exc:
        return {"error": f"the grader could not start: {exc}"}
    if proc.returncode != 0:
        last = proc.stderr.strip().splitlines()[-1:] or proc.stdout.strip().splitlines()[-1:]
        return {"error": f"the grader exited with {proc.returncode}: {(last or [''])[0]}"}
    metrics = parse_metrics(proc.stdout)
    if metrics is None:
        tail = proc.stdout.strip()[-300:]
        return {"error": f"the grader printed no JSON object of metrics: {tail!r}"}
    return metrics


def score_of(metrics: dict[str, Any], metric: str) -> dict[str, Any]:
    """The evaluation dict of the grader's ``metrics``: "score" is ``metrics[metric]``."""
    if "error" in metrics and metric not in metrics:
        return {"error": str(metrics["error"])}
    value = metrics.get(metric)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        known = sorted(k for k in metrics if k != "error")
        return {"error": f"the grader gave no finite {metric!r} (it gave {known}): {value!r}"}
    return {"score": float(value), "metric": metric, "metrics": metrics}


@dataclass(frozen=True)
class SubmissionGrader:
    """Common part of the external graders: find (or build) the submission of ``split`` in a
    workspace (``val_submission.csv`` for "val", ``submission.csv`` for "test"; with a tabular
    adapter, else from ``<split>_predictions.npy``), copy it into a fresh private folder and
    hand it to :meth:`run` with the answers of that split: the validation answers carved out
    of the training data (``root/private/val_answers.csv``) for "val", the task's held-out
    answers for "test". Every file is read as a regular file inside the workspace (see
    :mod:`research_agent.solutions.workspace_files`): a link or FIFO among the outputs is an
    error."""

    metric: str
    adapter: TabularAdapter | None = None
    root: Path = Path()

    def grade(self, workspace: Path, split: str) -> dict[str, Any]:
        if split not in SPLITS:
            return {"error": f"unknown split {split!r}; known: {SPLITS}"}
        name = submission_name(split)
        try:
            for output in OUTPUTS:  # a link among them is the node's bug, whichever is read
                check(workspace, output, MAX_SUBMISSION_BYTES)
            with tempfile.TemporaryDirectory(prefix="grading-") as tmp:
                folder = Path(tmp)
                if self.adapter is not None and not check(workspace, name):
                    copied = self.adapter.submission_from(workspace, split, folder / SUBMISSION)
                else:
                    copied = copy_out(workspace, name, folder / SUBMISSION, MAX_SUBMISSION_BYTES)
                answers = self.root / "private" / VAL_ANSWERS if split == "val" else None
                return self.run(copied, folder, answers)
        except MissingWorkspaceFile as exc:
            also = f" and no {split}_predictions.npy" if self.adapter is not None else ""
            return {"error": f"no {name}{also} was written ({exc})"}
        except (WorkspaceFileError, ExternalTaskError) as exc:
            return {"error": str(exc)}

    def run(self, submission: Path, folder: Path, answers: Path | None) -> dict[str, Any]:
        """The evaluation dict of ``submission`` (a private copy inside ``folder``) against
        ``answers`` (the validation answers), or against the held-out answers when None."""
        raise NotImplementedError


def submission_name(split: str) -> str:
    """The file a solution writes for ``split``: ``val_submission.csv`` or ``submission.csv``."""
    return VAL_SUBMISSION if split == "val" else SUBMISSION


# --- the validation split ----------------------------------------------------------------------


def read_csv(path: Path) -> tuple[list[str], list[list[str]]]:
    """Header and rows of a CSV file (strings)."""
    with path.open(newline="") as f:
        rows = list(csv.reader(f))
    if not rows:
        raise ExternalTaskError(f"{path} is empty")
    return rows[0], rows[1:]


def read_records(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    """Header and rows (as dicts by column) of a CSV file."""
    header, rows = read_csv(path)
    return header, [dict(zip(header, row, strict=False)) for row in rows]


def write_records(path: Path, header: list[str], rows: list[dict[str, str]]) -> None:
    """A CSV file of ``rows`` in the columns ``header`` (missing values blank)."""
    path.unlink(missing_ok=True)  # never write through a hard link to the task's own file
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, header, restval="", extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)


def _float(value: str) -> float | None:
    if value.strip() == "":
        return math.nan
    try:
        return float(value)
    except ValueError:
        return None


def class_names(labels: list[str]) -> list[str] | None:
    """The sorted classes of a target column, or None for a regression target (numbers that
    are not all integers, or more than ``MAX_CLASSES`` distinct integers)."""
    numbers = [_float(v) for v in labels]
    numeric = all(v is not None and not math.isnan(v) for v in numbers)
    integral = numeric and all(float(v).is_integer() for v in numbers)  # type: ignore[arg-type]
    if numeric and not (integral and len(set(labels)) <= MAX_CLASSES):
        return None
    return sorted(set(labels), key=(lambda v: float(v)) if numeric else (lambda v: v))


def carve(labels: list[str], fraction: float, seed: int, stratify: bool) -> np.ndarray:
    """The sorted indices of the validation rows among ``len(labels)`` training rows:
    ``fraction`` of them, drawn with ``seed``; with ``stratify``, that fraction of every class
    (at least one row of a class with two or more); always at least one row, never all."""
    if not 0.0 < fraction < 1.0:
        raise ExternalTaskError(f"validation_fraction must be between 0 and 1, got {fraction}")
    if len(labels) < 2:
        raise ExternalTaskError(f"cannot carve a validation split from {len(labels)} row(s)")
    rng = np.random.default_rng(seed)
    groups = [np.arange(len(labels))]
    if stratify:
        values = np.asarray(labels, dtype=object)
        groups = [np.flatnonzero(values == c) for c in sorted(set(labels))]
    picked: list[int] = []
    for rows in groups:
        take = min(len(rows) - 1, max(1 if len(rows) >= 2 else 0, round(fraction * len(rows))))
        picked.extend(int(i) for i in rng.permutation(rows)[:take])
    if not picked:
        picked = [int(rng.integers(len(labels)))]
    return np.sort(np.asarray(picked))


@dataclass(frozen=True)
class ValidationSplit:
    """What the search is scored on: ``rows`` validation rows, from ``source``."""

    rows: int
    source: str


def write_validation_split(
    public: Path,
    sample: Path,
    private: Path,
    own: Path | None = None,
    fraction: float = VALIDATION_FRACTION,
    seed: int = SPLIT_SEED,
) -> ValidationSplit:
    """Hold out validation rows for the search, with answers the solution never sees: the
    task's own validation file ``own`` (with answers) when it has one, else ``fraction`` of
    ``public/train.csv`` (seeded, stratified by the target when it is a class), which then
    keeps only the other rows. Writes ``public/val.csv`` (the validation rows in test.csv's
    columns, no answers) and ``private/val_answers.csv`` (their answers in the columns of the
    sample submission ``sample``: an id, then the targets)."""
    train_csv, test_csv = public / "train.csv", public / "test.csv"
    for path in (train_csv, test_csv, sample):
        if not path.is_file():
            raise ExternalTaskError(
                f"{path} does not exist: a validation split needs train.csv and test.csv in the "
                "data and a sample submission whose target columns train.csv has"
            )
    answer_header, _ = read_csv(sample)
    id_column, targets = answer_header[0], answer_header[1:]
    train_header, train = read_records(train_csv)
    test_header, _ = read_csv(test_csv)
    sources = [(train_csv, train_header)] + ([] if own is None else [(own, read_csv(own)[0])])
    for path, header in sources:
        missing = [t for t in targets if t not in header]
        if not targets or missing:
            raise ExternalTaskError(
                f"{path} lacks the target column(s) {missing or answer_header} of {sample.name} "
                f"(columns {answer_header}): no validation split can be carved from it"
            )
    if own is not None:
        _, val = read_records(own)
        source = f"the task's own validation data, {own.name}"
    else:
        labels = [row[targets[0]] for row in train] if len(targets) == 1 else []
        stratify = bool(labels) and class_names(labels) is not None
        held = set(carve(labels or [""] * len(train), fraction, seed, stratify).tolist())
        val = [row for i, row in enumerate(train) if i in held]
        write_records(train_csv, train_header, [r for i, r in enumerate(train) if i not in held])
        strata = ", stratified by class" if stratify else ""
        source = f"{fraction:.0%} of the task's train.csv, seed {seed}{strata}; train.csv here "
        source += "holds the other rows"
    if not val:
        raise ExternalTaskError(f"{own or train_csv}: no validation rows")
    for i, row in enumerate(val):
        if not row.get(id_column, "").strip():
            row[id_column] = f"val-{i}"
    write_records(public / VAL_CSV, [c for c in test_header if c not in targets], val)
    private.mkdir(mode=0o700, exist_ok=True)
    write_records(private / VAL_ANSWERS, answer_header, val)
    return ValidationSplit(len(val), source)


# --- the tabular CSV adapter -----------------------------------------------------------------


@dataclass(frozen=True)
class TabularAdapter:
    """Turns ``<split>_predictions.npy`` (one value per row of ``test.csv`` or ``val.csv`` in
    ``public``) into the submission of a tabular CSV task: ``id_column`` from those rows,
    ``target_column`` decoded through ``classes`` (the class names by code; empty for
    regression)."""

    public: Path
    id_column: str
    target_column: str
    classes: tuple[str, ...] = ()

    @property
    def kind(self) -> str:
        return "classification" if self.classes else "regression"

    def submission_from(self, workspace: Path, split: str, target: Path) -> Path:
        """Write the submission of ``workspace/<split>_predictions.npy`` to ``target``; its
        path. Raises :class:`WorkspaceFileError` (the file is missing or refused) or
        :class:`ExternalTaskError` (it does not hold the predictions asked for)."""
        name = f"{split}_predictions.npy"
        values = load_array(workspace, name, MAX_SUBMISSION_BYTES)
        rows_csv = self.public / ("test.csv" if split == "test" else VAL_CSV)
        header, rows = read_csv(rows_csv)
        ids = [row[header.index(self.id_column)] for row in rows]
        if values.shape != (len(ids),) or values.dtype.kind not in "biuf":
            got = f"{values.shape} {values.dtype}"
            raise ExternalTaskError(f"{name} must hold {len(ids)} numbers, got {got}")
        if not np.all(np.isfinite(values)):
            raise ExternalTaskError(f"{name} contains NaN or infinity")
        if self.classes:
            codes = np.rint(values).astype(np.int64)
            if codes.min() < 0 or codes.max() >= len(self.classes):
                raise ExternalTaskError(
                    f"{name} holds class codes outside 0..{len(self.classes) - 1}"
                )
            column = [self.classes[c] for c in codes]
        else:
            column = [repr(float(v)) for v in values]
        with target.open("w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow([self.id_column, self.target_column])
            writer.writerows(zip(ids, column, strict=True))
        return target

    @classmethod
    def load(cls, view: Path) -> TabularAdapter | None:
        """The adapter recorded in a view folder, if any."""
        path = view / ADAPTER_FILE
        if not path.is_file():
            return None
        raw = json.loads(path.read_text())
        return cls(view / "public", raw["id_column"], raw["target_column"],
                   tuple(raw["classes"]))  # fmt: skip


def write_tabular_arrays(public: Path, sample: Path, view: Path) -> TabularAdapter | None:
    """Write ``train_X.npy``, ``train_y.npy``, ``val_X.npy`` and ``test_X.npy`` into ``public``
    (and the validation labels as ``view/private/val_labels.npy``) from the split's train.csv,
    val.csv and test.csv (see :func:`write_validation_split`) when ``sample`` (the sample
    submission) has an id and one target column; the adapter, or None when the task is not
    of that form. Numeric columns stay numbers (blank: NaN), text columns with few values
    become codes, other text columns are dropped."""
    train_csv, val_csv, test_csv = public / "train.csv", public / VAL_CSV, public / "test.csv"
    answers = view / "private" / VAL_ANSWERS
    if not all(p.is_file() for p in (train_csv, val_csv, test_csv, sample, answers)):
        return None
    if train_csv.stat().st_size > 256 * 2**20:
        return None
    sample_header, _ = read_csv(sample)
    if len(sample_header) != 2:
        return None
    id_col, target = sample_header
    train_header, train_rows = read_records(train_csv)
    test_header, test_rows = read_records(test_csv)
    _, val_rows = read_records(val_csv)
    _, val_answers = read_records(answers)
    if target not in train_header or id_col not in test_header or not train_rows:
        return None
    features = [c for c in train_header if c not in (id_col, target) and c in test_header]
    rows = train_rows + val_rows + test_rows
    columns = []
    for name in features:
        values = [r.get(name, "") for r in rows]
        numbers = [_float(v) for v in values]
        if all(v is not None for v in numbers):
            columns.append(np.asarray(numbers, dtype=np.float64))
            continue
        levels = sorted({v for v in values if v.strip()})
        if len(levels) > MAX_CATEGORIES:
            continue
        code = {v: float(i) for i, v in enumerate(levels)}
        columns.append(np.asarray([code.get(v, math.nan) for v in values]))
    x = np.stack(columns, axis=1) if columns else np.zeros((len(rows), 1))
    labels = [r[target] for r in train_rows]
    val_labels = [r[target] for r in val_answers]
    classes = class_names(labels + val_labels) if class_names(labels) is not None else None
    if classes is not None:
        index = {c: i for i, c in enumerate(classes)}
        y = np.asarray([index[v] for v in labels], dtype=np.int64)
        val_y = np.asarray([index[v] for v in val_labels], dtype=np.int64)
    else:
        y, val_y = np.asarray(labels, dtype=np.float64), np.asarray(val_labels, dtype=np.float64)
    n_train, n_val = len(train_rows), len(val_rows)
    np.save(public / "train_X.npy", x[:n_train])
    np.save(public / "train_y.npy", y)
    np.save(public / "val_X.npy", x[n_train : n_train + n_val])
    np.save(public / "test_X.npy", x[n_train + n_val :])
    np.save(view / "private" / "val_labels.npy", val_y)
    record = {"id_column": id_col, "target_column": target, "classes": classes or [],
              "features": features}  # fmt: skip
    (view / ADAPTER_FILE).write_text(json.dumps(record, indent=1))
    return TabularAdapter(public, id_col, target, tuple(classes or []))


ADAPTER_NOTE = (
    "\n\nThe data folder also holds train_X.npy, train_y.npy, val_X.npy and test_X.npy: the "
    "numeric and few-valued text columns of train.csv, val.csv and test.csv as numbers"
    "{classes}. Instead of the two CSV files you may save one prediction per row of val_X.npy "
    "and test_X.npy as val_predictions.npy and test_predictions.npy in OUTPUT_DIR{codes}, as "
    "the baseline program does."
)

SPLIT_NOTE = (
    "\n\nValidation: val.csv in DATA_DIR holds {rows} rows ({source}) in the columns of "
    "test.csv, without their answers. Write your predictions for them to {val_submission} in "
    "OUTPUT_DIR, in the same format as {submission}: the search scores every solution on them "
    "with the task's grader. The held-out test answers are graded once, for the final solution."
)


def split_note(split: ValidationSplit) -> str:
    """What the task description says about the validation split."""
    return SPLIT_NOTE.format(rows=split.rows, source=split.source, submission=SUBMISSION,
                             val_submission=VAL_SUBMISSION)  # fmt: skip


def adapter_note(adapter: TabularAdapter) -> str:
    """What the task description says about the tabular arrays."""
    if adapter.classes:
        shown = ", ".join(f"{i}={c}" for i, c in enumerate(adapter.classes))
        classes, codes = f"; train_y.npy holds class codes ({shown})", " (class codes)"
    else:
        classes, codes = "; train_y.npy holds the target", ""
    return ADAPTER_NOTE.format(classes=classes, codes=codes)


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


def sandbox_baseline(task: Task) -> float | None:
    """The validation score of ``task``'s starter solution, run in the sandbox (its workspace
    stays in ``task.baseline_run``); None, with a warning, when it fails."""
    from research_agent.execution.execute import execute

    result = execute(task, task.starter.read_text(), task.baseline_run)
    if result.score is None:
        log.warning("%s: the baseline solution was not scored: %s", task.spec.id, result.error)
    return result.score


# --- the view folder the sandbox sees ------------------------------------------------------


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
