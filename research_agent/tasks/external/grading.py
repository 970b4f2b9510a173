"""Grading an external task's submission with the task's own grader, in a subprocess outside
the sandbox: the submission is copied out of the workspace (read as a regular file, never
through a link) into a private folder, where the held-out answers are in reach."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from research_agent.solutions.workspace_files import (
    MissingWorkspaceFile,
    WorkspaceFileError,
    check,
    copy_out,
)
from research_agent.tasks.external.submission_files import (
    MAX_SUBMISSION_BYTES,
    OUTPUTS,
    SUBMISSION,
    submission_name,
)
from research_agent.tasks.external.tabular import TabularAdapter
from research_agent.tasks.external.task_config import ExternalTaskError
from research_agent.tasks.external.validation_split import VAL_ANSWERS

SPLITS = ("val", "test")
GRADER_TIMEOUT_S = 600.0


def grader_python() -> str:
    """The Python that runs the tasks' graders: ``$RESEARCH_GRADER_PYTHON`` (e.g. the venv of
    the user's mle-bench checkout) or this one."""
    return os.environ.get("RESEARCH_GRADER_PYTHON") or sys.executable


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
