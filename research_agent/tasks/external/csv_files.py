"""CSV files of external tasks: reading and writing rows, and the classes of a target column."""

from __future__ import annotations

import csv
import math
from pathlib import Path

from research_agent.tasks.external.task_config import ExternalTaskError

MAX_CLASSES = 20


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


def parse_number(value: str) -> float | None:
    if value.strip() == "":
        return math.nan
    try:
        return float(value)
    except ValueError:
        return None


def class_names(labels: list[str]) -> list[str] | None:
    """The sorted classes of a target column, or None for a regression target (numbers that
    are not all integers, or more than ``MAX_CLASSES`` distinct integers)."""
    numbers = [parse_number(v) for v in labels]
    numeric = all(v is not None and not math.isnan(v) for v in numbers)
    integral = numeric and all(float(v).is_integer() for v in numbers)  # type: ignore[arg-type]
    if numeric and not (integral and len(set(labels)) <= MAX_CLASSES):
        return None
    return sorted(set(labels), key=(lambda v: float(v)) if numeric else (lambda v: v))
