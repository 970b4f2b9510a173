"""The tabular CSV adapter: a task whose sample submission is an id and one target column also
gets the built-in ``*_X.npy`` / ``train_y.npy`` arrays, so the programmatic operators' templates
run on it; a workspace with ``<split>_predictions.npy`` and no submission file of that split
is turned into one."""

from __future__ import annotations

import csv
import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from research_agent.solutions.workspace_files import load_array
from research_agent.tasks.external.csv_files import (
    class_names,
    parse_number,
    read_csv,
    read_records,
)
from research_agent.tasks.external.submission_files import MAX_SUBMISSION_BYTES
from research_agent.tasks.external.task_config import ExternalTaskError
from research_agent.tasks.external.validation_split import VAL_ANSWERS, VAL_CSV

MAX_CATEGORIES = 50
ADAPTER_FILE = "tabular_adapter.json"


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
        return cls(
            public=view / "public",
            id_column=raw["id_column"],
            target_column=raw["target_column"],
            classes=tuple(raw["classes"]),
        )


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
        numbers = [parse_number(v) for v in values]
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
    record = {
        "id_column": id_col,
        "target_column": target,
        "classes": classes or [],
        "features": features,
    }
    (view / ADAPTER_FILE).write_text(json.dumps(record, indent=1))
    return TabularAdapter(public, id_col, target, tuple(classes or []))


ADAPTER_NOTE = (
    "\n\nThe data folder also holds train_X.npy, train_y.npy, val_X.npy and test_X.npy: the "
    "numeric and few-valued text columns of train.csv, val.csv and test.csv as numbers"
    "{classes}. Instead of the two CSV files you may save one prediction per row of val_X.npy "
    "and test_X.npy as val_predictions.npy and test_predictions.npy in OUTPUT_DIR{codes}, as "
    "the baseline program does."
)


def adapter_note(adapter: TabularAdapter) -> str:
    """What the task description says about the tabular arrays."""
    if adapter.classes:
        shown = ", ".join(f"{i}={c}" for i, c in enumerate(adapter.classes))
        classes, codes = f"; train_y.npy holds class codes ({shown})", " (class codes)"
    else:
        classes, codes = "; train_y.npy holds the target", ""
    return ADAPTER_NOTE.format(classes=classes, codes=codes)
