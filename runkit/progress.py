"""Rich progress bars for long loops."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)


class ProgressBar:
    """One task of a rich progress display; ``advance`` moves it and sets the shown fields."""

    def __init__(self, progress: Progress | None, task: TaskID | None) -> None:
        self._progress = progress
        self._task = task

    def advance(self, n: float = 1, **fields: object) -> None:
        if self._progress is not None and self._task is not None:
            info = " ".join(
                f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}" for k, v in fields.items()
            )
            self._progress.update(self._task, advance=n, info=info)


@contextmanager
def progress_bar(
    total: float | None, description: str, enabled: bool = True, unit: str = "steps"
) -> Iterator[ProgressBar]:
    """Show a progress bar for ``total`` ``unit``s of work (hidden when ``enabled`` is false).

    The bar shows ``done/total unit`` after the ``description``, so what it counts is named by
    the unit, not guessed from the description (an episode bar counts steps).
    """
    if not enabled:
        yield ProgressBar(None, None)
        return
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn(unit),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        TextColumn("{task.fields[info]}"),
    )
    with Progress(*columns, transient=False) as progress:
        yield ProgressBar(progress, progress.add_task(description, total=total, info=""))
