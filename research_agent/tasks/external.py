"""Tasks in other benchmarks' layouts (MLGym, MLE-bench), graded by their own graders.

``load_external("mlgym:<task config>")`` / ``load_external("mlebench:<competition folder>")``
turn a user's task into a :class:`~research_agent.tasks.spec.Task` whose ``grader`` runs the
task's own evaluation script (or grade function) in a subprocess outside the sandbox:

* the solution runs sandboxed on a *view* folder (``<cache>/external/<layout>-<id>-<hash>/``)
  holding links to the public files only, and writes ``submission.csv`` into its workspace;
* the grader copies that one file into a private grading folder, runs the task's grader there
  (where the held-out answers are in reach) and reads the score from the grader's JSON (or the
  grade function's return value), never from what the solution printed.

Tabular CSV tasks (``train.csv``, ``test.csv`` and a two-column ``sample_submission.csv``: an id
and a target that ``train.csv`` has) also get the built-in ``*_X.npy`` / ``train_y.npy``
files, so the programmatic operators' templates run on them; a workspace with
``test_predictions.npy`` and no ``submission.csv`` is turned into a submission (see
:class:`TabularAdapter`). There is one held-out set: "val" and "test" are graded alike.
"""

from __future__ import annotations

import csv
import hashlib
import json
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

from research_agent.tasks.spec import Task, TaskSpec, publish, staging_folder

MAX_SUBMISSION_BYTES = 64 * 2**20
SUBMISSION = "submission.csv"
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


def copy_submission(source: Path, target_dir: Path) -> Path | str:
    """Copy the solution's submission file into ``target_dir``; its new path, or why not."""
    if not source.is_file() or source.is_symlink():
        return f"no {source.name} was written"
    if source.stat().st_size > MAX_SUBMISSION_BYTES:
        return f"{source.name} is larger than {MAX_SUBMISSION_BYTES} bytes"
    target = target_dir / source.name
    shutil.copyfile(source, target, follow_symlinks=False)
    return target


@dataclass(frozen=True)
class SubmissionGrader:
    """Common part of the external graders: find (or build) the submission in a workspace,
    copy it into a fresh private folder and hand it to :meth:`run`."""

    metric: str
    adapter: TabularAdapter | None = None
    submission: str = SUBMISSION

    def grade(self, workspace: Path, split: str) -> dict[str, Any]:
        with tempfile.TemporaryDirectory(prefix="grading-") as tmp:
            folder = Path(tmp)
            native = workspace / self.submission
            if self.adapter is not None and not native.exists():
                copied: Path | str = self.adapter.submission_from(
                    workspace / f"{split}_predictions.npy", folder / self.submission
                )
            else:
                copied = copy_submission(native, folder)
            if isinstance(copied, str):
                return {"error": copied}
            return self.run(copied, folder)

    def run(self, submission: Path, folder: Path) -> dict[str, Any]:
        """The evaluation dict of ``submission`` (a private copy inside ``folder``)."""
        raise NotImplementedError


# --- the tabular CSV adapter -----------------------------------------------------------------


def read_csv(path: Path) -> tuple[list[str], list[list[str]]]:
    """Header and rows of a CSV file (strings)."""
    with path.open(newline="") as f:
        rows = list(csv.reader(f))
    if not rows:
        raise ExternalTaskError(f"{path} is empty")
    return rows[0], rows[1:]


def _float(value: str) -> float | None:
    if value.strip() == "":
        return math.nan
    try:
        return float(value)
    except ValueError:
        return None


@dataclass(frozen=True)
class TabularAdapter:
    """Turns ``test_predictions.npy`` (one value per row of ``test.csv``) into the
    ``submission.csv`` of a tabular CSV task: ``id_column`` from test.csv, ``target_column``
    decoded through ``classes`` (the class names by code; empty for regression)."""

    test_csv: Path
    id_column: str
    target_column: str
    classes: tuple[str, ...] = ()

    @property
    def kind(self) -> str:
        return "classification" if self.classes else "regression"

    def submission_from(self, predictions: Path, target: Path) -> Path | str:
        """Write the submission of ``predictions`` to ``target``; its path, or why not."""
        if not predictions.is_file() or predictions.is_symlink():
            return f"no {SUBMISSION} and no {predictions.name} were written"
        if predictions.stat().st_size > MAX_SUBMISSION_BYTES:
            return f"{predictions.name} is larger than {MAX_SUBMISSION_BYTES} bytes"
        try:
            values = np.load(predictions, allow_pickle=False)
        except (ValueError, OSError) as exc:
            return f"cannot read {predictions.name}: {exc}"
        header, rows = read_csv(self.test_csv)
        ids = [row[header.index(self.id_column)] for row in rows]
        if values.shape != (len(ids),) or values.dtype.kind not in "biuf":
            got = f"{values.shape} {values.dtype}"
            return f"{predictions.name} must hold {len(ids)} numbers, got {got}"
        if not np.all(np.isfinite(values)):
            return f"{predictions.name} contains NaN or infinity"
        if self.classes:
            codes = np.rint(values).astype(np.int64)
            if codes.min() < 0 or codes.max() >= len(self.classes):
                return f"{predictions.name} holds class codes outside 0..{len(self.classes) - 1}"
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
        return cls(view / "public" / "test.csv", raw["id_column"], raw["target_column"],
                   tuple(raw["classes"]))  # fmt: skip


def write_tabular_arrays(public: Path, sample: Path, view: Path) -> TabularAdapter | None:
    """Write ``train_X.npy``, ``train_y.npy``, ``val_X.npy`` and ``test_X.npy`` into ``public``
    from its train.csv / test.csv when ``sample`` (the sample submission) has an id and one
    target column that train.csv has; the adapter, or None when the task is not of that form.
    Numeric columns stay numbers (blank: NaN), text columns with few values become codes, other
    text columns are dropped."""
    train_csv, test_csv = public / "train.csv", public / "test.csv"
    if not (train_csv.is_file() and test_csv.is_file() and sample.is_file()):
        return None
    if train_csv.stat().st_size > 256 * 2**20:
        return None
    sample_header, _ = read_csv(sample)
    train_header, train_rows = read_csv(train_csv)
    test_header, test_rows = read_csv(test_csv)
    if len(sample_header) != 2:
        return None
    id_col, target = sample_header
    if target not in train_header or id_col not in test_header or not train_rows:
        return None
    features = [c for c in train_header if c not in (id_col, target) and c in test_header]
    columns = []
    for name in features:
        train_vals = [r[train_header.index(name)] for r in train_rows]
        test_vals = [r[test_header.index(name)] for r in test_rows]
        numbers = [_float(v) for v in train_vals + test_vals]
        if all(v is not None for v in numbers):
            columns.append(np.asarray(numbers, dtype=np.float64))
            continue
        levels = sorted({v for v in train_vals + test_vals if v.strip()})
        if len(levels) > MAX_CATEGORIES:
            continue
        code = {v: float(i) for i, v in enumerate(levels)}
        columns.append(np.asarray([code.get(v, math.nan) for v in train_vals + test_vals]))
    n_train = len(train_rows)
    x = np.stack(columns, axis=1) if columns else np.zeros((n_train + len(test_rows), 1))
    labels = [r[train_header.index(target)] for r in train_rows]
    numbers = [_float(v) for v in labels]
    numeric = all(v is not None and not math.isnan(v) for v in numbers)
    integral = numeric and all(float(v).is_integer() for v in numbers)  # type: ignore[arg-type]
    classes: list[str] = []
    if not numeric or (integral and len(set(labels)) <= MAX_CLASSES):
        key = (lambda v: float(v)) if numeric else (lambda v: v)
        classes = sorted(set(labels), key=key)
        index = {c: i for i, c in enumerate(classes)}
        y = np.asarray([index[v] for v in labels], dtype=np.int64)
    else:
        y = np.asarray(numbers, dtype=np.float64)
    np.save(public / "train_X.npy", x[:n_train])
    np.save(public / "train_y.npy", y)
    np.save(public / "test_X.npy", x[n_train:])
    np.save(public / "val_X.npy", x[n_train:])  # one held-out set: val is the test set
    record = {"id_column": id_col, "target_column": target, "classes": classes,
              "features": features}  # fmt: skip
    (view / ADAPTER_FILE).write_text(json.dumps(record, indent=1))
    return TabularAdapter(test_csv, id_col, target, tuple(classes))


ADAPTER_NOTE = (
    "\n\nThe data folder also holds train_X.npy, train_y.npy and test_X.npy (val_X.npy is the "
    "same as test_X.npy): the numeric and few-valued text columns of train.csv/test.csv as "
    "numbers{classes}. Either write {submission} (the format of sample_submission.csv) into "
    "OUTPUT_DIR, or save one prediction per row of test_X.npy as test_predictions.npy and "
    "val_predictions.npy there{codes}, as the baseline program does."
)


def adapter_note(adapter: TabularAdapter) -> str:
    """What the task description says about the tabular arrays."""
    if adapter.classes:
        shown = ", ".join(f"{i}={c}" for i, c in enumerate(adapter.classes))
        classes, codes = f"; train_y.npy holds class codes ({shown})", " (class codes)"
    else:
        classes, codes = "; train_y.npy holds the target", ""
    return ADAPTER_NOTE.format(classes=classes, submission=SUBMISSION, codes=codes)


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
    score_baseline: Callable[[TaskSpec], float | None] | None = None,
) -> dict[str, Any]:
    """The ``task.yaml`` of the view folder ``root``, rebuilt when its sources changed (when
    ``stamp`` differs): ``write(staged)`` fills ``staged/public`` (and ``staged/starter``) and
    returns the spec; ``score_baseline(spec)`` fills a missing baseline score."""
    stamp_file = root / "source_signature"
    if (root / "task.yaml").is_file() and stamp_file.is_file() and stamp_file.read_text() == stamp:
        return yaml.safe_load((root / "task.yaml").read_text())
    tmp = staging_folder(root)
    (tmp / "public").mkdir(parents=True)
    spec = write(tmp)
    (tmp / "public" / "description.md").write_text(spec.description + "\n")
    if spec.baseline_score is None and score_baseline is not None:
        spec = replace(spec, baseline_score=score_baseline(spec))
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


LAYOUTS = ("mlgym", "mlebench")


def is_external(task: str) -> bool:
    """Whether ``task`` names a task in another benchmark's layout (``<layout>:<path>``)."""
    return task.split(":", 1)[0] in LAYOUTS and ":" in task


def load_external(task: str, cache: Path) -> Task:
    """The task ``mlgym:<task config yaml>`` or ``mlebench:<competition folder>`` (views and
    cached baseline scores go under ``cache``)."""
    layout, _, path = task.partition(":")
    if layout == "mlgym":
        from research_agent.tasks.mlgym import load_mlgym

        return load_mlgym(Path(path).expanduser(), cache)
    if layout == "mlebench":
        from research_agent.tasks.mlebench import load_mlebench

        return load_mlebench(Path(path).expanduser(), cache)
    raise ExternalTaskError(f"unknown task layout {layout!r} in {task!r}; known: {LAYOUTS}")
