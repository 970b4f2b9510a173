"""The validation split of an external task: rows held out of its training data, scored by its
own grader, so that held-out answers never steer the search."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from research_agent.tasks.external.csv_files import (
    class_names,
    read_csv,
    read_records,
    write_records,
)
from research_agent.tasks.external.submission_files import SUBMISSION, VAL_SUBMISSION
from research_agent.tasks.external.task_config import ExternalTaskError

VAL_CSV = "val.csv"  # public: the validation rows in test.csv's columns, no answers
VAL_ANSWERS = "val_answers.csv"  # private: their answers, in the sample submission's columns
VALIDATION_FRACTION = 0.2
SPLIT_SEED = 0


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


SPLIT_NOTE = (
    "\n\nValidation: val.csv in DATA_DIR holds {rows} rows ({source}) in the columns of "
    "test.csv, without their answers. Write your predictions for them to {val_submission} in "
    "OUTPUT_DIR, in the same format as {submission}: the search scores every solution on them "
    "with the task's grader. The held-out test answers are graded once, for the final solution."
)


def split_note(split: ValidationSplit) -> str:
    """What the task description says about the validation split."""
    return SPLIT_NOTE.format(
        rows=split.rows,
        source=split.source,
        submission=SUBMISSION,
        val_submission=VAL_SUBMISSION,
    )
