"""MLE-bench competitions as research tasks: ``task=mlebench:<competition folder>``.

A competition folder (``mlebench/competitions/<id>/`` of an mle-bench checkout) holds::

    config.yaml       id, name, competition_type, awards_medals, prizes, description (a path),
                      dataset: {answers, sample_submission} (paths under the data dir),
                      grader: {name, grade_fn: "module.path:function"}, preparer
    description.md    the competition's description
    grade.py          grade(submission: DataFrame, answers: DataFrame) -> float
    leaderboard.csv   the Kaggle leaderboard (a ``score`` column, best team first)

and the prepared data lives in ``<data dir>/<id>/prepared/public`` (train, test,
sample_submission.csv: what solutions see) and ``.../prepared/private`` (the answers: only the
grader sees them). The data dir is ``$MLEBENCH_DATA_DIR`` or mle-bench's default
``~/.cache/mle-bench/data``. The metric is the grader's name; lower is better when the
leaderboard's top score is below its bottom one; medals follow MLE-bench's rule
(:func:`medal_thresholds`). The search is scored on a validation split held out of
``train.csv`` (``validation_fraction`` of config.yaml, default 0.2; see
:mod:`~research_agent.tasks.external.validation_split`); the baseline score is the
starter's score on it.
"""

from __future__ import annotations

import csv
import logging
import math
import os
import statistics
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from research_agent.tasks.external.grading import (
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
RUNNER = Path(__file__).with_name("mlebench_grade.py")
TIME_LIMIT_S = 600.0
MEMORY_MB = 8192


def default_data_dir() -> Path:
    """``$MLEBENCH_DATA_DIR`` or mle-bench's default data dir (~/.cache/mle-bench/data)."""
    env = os.environ.get("MLEBENCH_DATA_DIR")
    if env:
        return Path(env).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache) / "mle-bench" / "data"


# --- leaderboard and medals ------------------------------------------------------------------


def read_leaderboard(path: Path) -> list[float]:
    """The ``score`` column of a leaderboard CSV, in its order (best team first)."""
    with path.open(newline="") as f:
        reader = csv.DictReader(f)
        if reader.fieldnames is None or "score" not in reader.fieldnames:
            raise ExternalTaskError(f"{path}: the leaderboard has no 'score' column")
        scores = []
        for line, row in enumerate(reader, start=2):
            try:
                scores.append(float(row["score"]))
            except (TypeError, ValueError) as exc:
                raise ExternalTaskError(f"{path}, line {line}: score {row['score']!r}") from exc
    if not scores:
        raise ExternalTaskError(f"{path}: the leaderboard has no teams")
    return scores


def lower_is_better(scores: list[float]) -> bool:
    """MLE-bench's rule: lower is better when the top team's score is below the last one's."""
    return scores[0] < scores[-1]


def medal_thresholds(scores: list[float]) -> dict[str, float]:
    """Gold, silver, bronze and median thresholds of a leaderboard, by MLE-bench's rule (after
    Kaggle's progression system): with N teams, the score at position (1-based)

    * N < 100: gold ⌊0.1 N⌋, silver ⌊0.2 N⌋, bronze ⌊0.4 N⌋ (each at least 1);
    * 100 ≤ N < 250: gold 10, silver ⌊0.2 N⌋, bronze ⌊0.4 N⌋;
    * 250 ≤ N < 1000: gold 10 + ⌊0.002 N⌋, silver 50, bronze 100;
    * N ≥ 1000: gold 10 + ⌊0.002 N⌋, silver ⌊0.05 N⌋, bronze ⌊0.1 N⌋;

    and the median of all scores (NaN scores left out)."""
    n = len(scores)
    if n < 1:
        raise ValueError("the leaderboard has no teams")

    def at(position: int) -> float:
        return scores[max(1, position) - 1]

    if n < 100:
        gold, silver, bronze = at(int(n * 0.1)), at(int(n * 0.2)), at(int(n * 0.4))
    elif n < 250:
        gold, silver, bronze = at(10), at(int(n * 0.2)), at(int(n * 0.4))
    elif n < 1000:
        gold, silver, bronze = at(10 + int(n * 0.002)), at(50), at(100)
    else:
        gold, silver, bronze = at(10 + int(n * 0.002)), at(int(n * 0.05)), at(int(n * 0.1))
    median = statistics.median(s for s in scores if not math.isnan(s))
    return {"gold": gold, "silver": silver, "bronze": bronze, "median": median}


@dataclass(frozen=True)
class LeaderboardSpec(TaskSpec):
    """A spec whose medals follow MLE-bench exactly: at least the threshold for a medal,
    strictly better than the median for "above_median"."""

    def medal(self, score: float | None) -> str | None:
        if score is None:
            return None
        for name in ("gold", "silver", "bronze"):
            if name in self.medals and self.better_or_equal(score, self.medals[name]):
                return name
        if "median" in self.medals and self.signed(score) > self.signed(self.medals["median"]):
            return "above_median"
        return None


# --- the competition -------------------------------------------------------------------------


@dataclass(frozen=True)
class Competition:
    """What an MLE-bench competition folder and its prepared data say."""

    id: str
    name: str
    folder: Path
    description: str
    metric: str
    grade_file: Path
    grade_function: str
    import_root: Path | None
    answers: Path
    sample_submission: Path
    public_dir: Path
    leaderboard: Path | None
    awards_medals: bool
    validation_fraction: float = VALIDATION_FRACTION


def _module_file(module: str, folder: Path, config: Path) -> tuple[Path, Path | None]:
    """The file of ``module`` (e.g. "mlebench.competitions.<id>.grade") and the folder to
    import it from: found under an ancestor of ``folder``, else ``folder/<last part>.py``."""
    relative = Path(*module.split(".")).with_suffix(".py")
    for ancestor in folder.resolve().parents:
        if (ancestor / relative).is_file():
            return ancestor / relative, ancestor
    local = folder / f"{module.rsplit('.', 1)[-1]}.py"
    if local.is_file():
        return local, None
    raise ExternalTaskError(
        f"{config}: grader.grade_fn names module {module!r}, but neither {relative} under a "
        f"parent folder nor {local} exists"
    )


def _description(raw: dict[str, Any], folder: Path, config: Path) -> str:
    value = raw.get("description")
    candidates = [folder / "description.md"]
    if isinstance(value, str):
        path = Path(value)
        candidates = [
            *(a / path for a in folder.resolve().parents),
            folder / path.name,
            *candidates,
        ]
    for candidate in candidates:
        if candidate.is_file():
            return candidate.read_text()
    raise ExternalTaskError(f"{config}: no description file (key 'description': {value!r})")


def read_competition(folder: Path, data_dir: Path | None = None) -> Competition:
    """The competition in ``folder`` (its config.yaml) with its data under ``data_dir``."""
    config = folder / "config.yaml"
    if folder.is_file() and folder.name == "config.yaml":
        config, folder = folder, folder.parent
    if not folder.is_dir():
        raise FileNotFoundError(
            f"mlebench:{folder}: no such folder; expected an MLE-bench competition folder "
            "(mlebench/competitions/<id>/ with config.yaml, grade.py and leaderboard.csv)"
        )
    raw = read_yaml(config, "an MLE-bench competition config (config.yaml)")
    task_id = require(raw, "id", config)
    dataset = require(raw, "dataset", config, dict)
    grader = require(raw, "grader", config, dict)
    grade_fn = require(grader, "grade_fn", config)
    if grade_fn.count(":") != 1:
        raise ExternalTaskError(
            f"{config}: grader.grade_fn must be 'module:function', got {grade_fn!r}"
        )
    module, function = grade_fn.split(":")
    grade_file, import_root = _module_file(module, folder, config)
    data_dir = data_dir or default_data_dir()
    answers = data_dir / require(dataset, "answers", config)
    sample = data_dir / require(dataset, "sample_submission", config)
    public = data_dir / task_id / "prepared" / "public"
    for path, what in ((public, "the prepared public data"), (answers, "the answers")):
        if not path.exists():
            raise ExternalTaskError(
                f"{path} does not exist: {what} of {task_id} (prepare it with "
                f"`mlebench prepare -c {task_id}`, or set MLEBENCH_DATA_DIR to its data dir)"
            )
    leaderboard = folder / "leaderboard.csv"
    fraction = raw.get("validation_fraction", VALIDATION_FRACTION)
    if isinstance(fraction, bool) or not isinstance(fraction, int | float):
        raise ExternalTaskError(f"{config}: key 'validation_fraction' must be a number in (0, 1)")
    return Competition(
        id=task_id,
        name=str(raw.get("name") or task_id),
        folder=folder,
        description=_description(raw, folder, config),
        metric=str(grader.get("name") or "score"),
        grade_file=grade_file,
        grade_function=function,
        import_root=import_root,
        answers=answers,
        sample_submission=sample,
        public_dir=public,
        leaderboard=leaderboard if leaderboard.is_file() else None,
        awards_medals=bool(raw.get("awards_medals", True)),
        validation_fraction=float(fraction),
    )


@dataclass(frozen=True)
class MLEBenchGrader(SubmissionGrader):
    """Grades ``submission.csv`` with the competition's grade function, in a subprocess of
    :func:`grader_python` (the answers never enter the sandbox)."""

    grade_file: Path = Path()
    function: str = "grade"
    answers: Path = Path()
    import_root: Path | None = None

    def run(self, submission: Path, folder: Path, answers: Path | None) -> dict[str, Any]:
        answers = answers or self.answers
        argv = [
            grader_python(),
            str(RUNNER),
            str(self.grade_file),
            self.function,
            str(submission),
            str(answers),
        ]
        if self.import_root is not None:
            argv.append(str(self.import_root))
        metrics = run_grader(argv, folder)
        if "score" in metrics:
            metrics = {self.metric: metrics["score"]}
        elif "pandas" in str(metrics.get("error", "")):
            metrics["error"] += " (set RESEARCH_GRADER_PYTHON to a Python with pandas)"
        return score_of(metrics, self.metric)


CONTRACT = (
    "\n\nWrite your predictions for the rows of test.csv to {submission} in OUTPUT_DIR, in the "
    "format of sample_submission.csv (both in DATA_DIR); it is graded by the competition's "
    "grader ({metric}) on held-out answers."
)


@dataclass(frozen=True)
class RankedCompetition:
    """A competition with its leaderboard's scores (best team first; empty: no leaderboard)
    and the direction they say is better."""

    competition: Competition
    scores: list[float]
    direction: str


@register_task_source
class MLEBenchLayout(ExternalLayout):
    """``task=mlebench:<competition folder>`` (its data under ``$MLEBENCH_DATA_DIR``)."""

    prefix = "mlebench"
    usage = "mlebench:<MLE-bench competition folder>"
    spec_type = LeaderboardSpec

    def read(self, path: Path) -> RankedCompetition:
        comp = read_competition(path)
        scores = read_leaderboard(comp.leaderboard) if comp.leaderboard else []
        if scores:
            direction = "minimize" if lower_is_better(scores) else "maximize"
        else:
            direction = guess_direction(comp.metric)
        return RankedCompetition(comp, scores, direction)

    def identity(self, task: RankedCompetition) -> tuple[str, Path]:
        return task.competition.id, task.competition.folder

    def sources(self, task: RankedCompetition) -> list[Path]:
        comp = task.competition
        return [comp.folder, comp.public_dir, comp.sample_submission, comp.grade_file]

    def write_view(self, task: RankedCompetition, staged: Path) -> TaskSpec:
        comp, public = task.competition, staged / "public"
        for path in sorted(comp.public_dir.rglob("*")):
            if path.is_file():
                link_or_copy(path, public / path.relative_to(comp.public_dir))
        sample = public / comp.sample_submission.name
        if not sample.is_file():
            link_or_copy(comp.sample_submission, sample)
        description = f"{comp.name}\n\n{comp.description.strip()}"
        description += CONTRACT.format(submission=SUBMISSION, metric=comp.metric)
        description, kind = write_view_files(staged, sample, description, comp.validation_fraction)
        return LeaderboardSpec(
            id=comp.id,
            description=description,
            kind=kind,
            metric=comp.metric,
            direction=task.direction,
            time_limit_s=TIME_LIMIT_S,
            memory_mb=MEMORY_MB,
            medals=medal_thresholds(task.scores) if task.scores else {},
        )

    def grader(self, task: RankedCompetition, view: Path) -> MLEBenchGrader:
        comp = task.competition
        return MLEBenchGrader(
            metric=comp.metric,
            adapter=TabularAdapter.load(view),
            root=view,
            grade_file=comp.grade_file,
            function=comp.grade_function,
            answers=comp.answers,
            import_root=comp.import_root,
        )


__all__ = [
    "LeaderboardSpec",
    "MLEBenchLayout",
    "medal_thresholds",
    "read_competition",
    "read_leaderboard",
]
