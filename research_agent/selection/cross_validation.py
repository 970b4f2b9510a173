"""The final choice of a research run's solution, by cross-validation over a shortlist.

The best validation score of many solutions overstates the chosen one (the winner's curse),
most of all on small validation splits: on breast_cancer's 114 validation samples a logistic
regression on unscaled features scores 0.991 and 0.92 on the test labels. So the run's
solution is chosen from a shortlist (the best by validation score, the task's baseline and the
best of each other model family, one per distinct set of validation predictions) by k-fold
cross-validation over the training and validation samples together: each candidate is rerun in
the sandbox once per fold, trained on the other folds and graded on its fold's labels by the
task's own evaluator. The shortlist is raced: all of it on the first fold, the better half (at
least three) on the rest. When the ensemble of the best three (a vote, or the mean of a
regression) cross-validates better than the best of them, the ensemble is the run's solution
(:func:`try_ensemble`).
The folds are contiguous blocks of the training rows followed by the validation rows (samples
that come in groups, such as the windows of one episode, stay mostly in one fold).
The test labels are never used.

Tasks without that data layout (``train_X``/``train_y``/``val_X`` arrays and validation labels
graded by ``evaluate.py``) keep the best validation score, as does a shortlist that the time
left could not cross-validate.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from planning.tree import Node, SearchTree
from research_agent.execution.execute import SCRIPT, execute
from research_agent.execution.sandbox import Limits
from research_agent.execution.spares import Spares
from research_agent.research_domain import BASELINE_KEY, run_time
from research_agent.selection.ensemble import combine, ensemble_code, min_members
from research_agent.solutions.program import read_config
from research_agent.solutions.workspace_files import WorkspaceFileError, load_array, read_bytes
from research_agent.tasks.grading import MAX_PREDICTION_BYTES, grade
from research_agent.tasks.spec import TaskFolder

FOLD_INPUTS = ("train_X.npy", "train_y.npy", "val_X.npy")
ENSEMBLE_SIZE = 3
log = logging.getLogger(__name__)


@dataclass
class Entrant:
    """A shortlisted node and its scores on the folds it ran, out of ``folds`` (None: not
    cross-validated, because time ran out or a fold failed; fewer than ``folds``: raced out
    after the first fold)."""

    node: Node
    folds: int
    fold_scores: list[float] | None = None

    @property
    def cv_score(self) -> float | None:
        """The mean over every fold (None unless all of them ran)."""
        if self.fold_scores is None or len(self.fold_scores) < self.folds:
            return None
        return float(np.mean(self.fold_scores))

    def to_dict(self) -> dict[str, Any]:
        return {
            "node": self.node.id,
            "val_score": self.node.info["val_score"],
            "cv_score": self.cv_score,
            "fold_scores": self.fold_scores,
        }


@dataclass
class Selection:
    """The chosen node (None when every solution was buggy) and how it was chosen:
    ``rule`` is "cross_validation", "ensemble" (of the best cross-validated candidates, see
    :func:`try_ensemble`) or "validation" (the best validation score)."""

    chosen: Node | None
    rule: str
    folds: int
    candidates: list[Entrant]
    seconds: float
    ensemble: dict[str, Any] | None = None
    by_validation: Node | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "folds": self.folds,
            "chosen": None if self.chosen is None else self.chosen.id,
            "best_by_validation": None if self.by_validation is None else self.by_validation.id,
            "seconds": round(self.seconds, 3),
            "candidates": [c.to_dict() for c in self.candidates],
            "ensemble": self.ensemble,
        }


def supports_cross_validation(task: TaskFolder) -> bool:
    """Whether ``task`` has the array layout that folds can be cut from."""
    return (
        task.grader is None
        and all((task.public_dir / name).is_file() for name in FOLD_INPUTS)
        and (task.private_dir / "val_labels.npy").is_file()
        and task.evaluator.is_file()
    )


def search_time(task: TaskFolder, total: float | None, folds: int, fraction: float) -> float | None:
    """The part of a time budget ``total`` the search gets: all of it, unless the run's
    solution will be cross-validated, which keeps ``fraction`` of it."""
    if total is None or folds < 2 or not supports_cross_validation(task):
        return total
    return total * (1.0 - fraction)


def write_folds(task: TaskFolder, folds: int, root: Path) -> list[TaskFolder]:
    """``folds`` task folders under ``root``: each validates on one contiguous block of the
    training + validation rows and trains on the rest; the other public files are copied."""
    public, private = task.public_dir, task.private_dir
    inputs = np.concatenate([np.load(public / "train_X.npy"), np.load(public / "val_X.npy")])
    labels = np.concatenate(
        [np.load(public / "train_y.npy"), np.load(private / "val_labels.npy", allow_pickle=False)]
    )
    if not 2 <= folds <= len(inputs):
        raise ValueError(f"cross-validation needs 2 to {len(inputs)} folds, got {folds}")
    tasks = []
    for i, held in enumerate(np.array_split(np.arange(len(inputs)), folds)):
        train = np.setdiff1d(np.arange(len(inputs)), held)
        fold = root / f"fold_{i}"
        shutil.rmtree(fold, ignore_errors=True)
        (fold / "private").mkdir(parents=True)
        shutil.copytree(public, fold / "public", ignore=shutil.ignore_patterns(*FOLD_INPUTS))
        np.save(fold / "public" / "train_X.npy", inputs[train])
        np.save(fold / "public" / "train_y.npy", labels[train])
        np.save(fold / "public" / "val_X.npy", inputs[held])
        np.save(fold / "private" / "val_labels.npy", labels[held])
        shutil.copy2(task.evaluator, fold / "evaluate.py")
        tasks.append(TaskFolder(fold, task.spec))
    return tasks


def family_of(node: Node) -> str:
    """The model family in ``node``'s CONFIG block, or a name of the node's own when its code
    has none (a solution written by a language model: a family of one)."""
    try:
        return str(read_config(node.payload["code"]).get("model", f"node {node.id}"))
    except ValueError:
        return f"node {node.id}"


def shortlist(tree: SearchTree, nodes_dir: Path, size: int) -> list[Node]:
    """Up to ``size`` good nodes to cross-validate: the best by validation score, the task's
    baseline solution when it ran (the reference the best must beat on every fold, too), the
    best of every other model family by validation score, then the next best overall. A
    family's best is the fair one to compare: the more of a family the search tried, the more
    its best validation score overstates it. Nodes whose validation predictions equal an
    earlier one's are skipped (they would score alike on every fold as well)."""
    ranked = sorted(tree.good_nodes(), key=lambda n: -n.score)
    baseline = [n for n in ranked if n.payload["key"] == BASELINE_KEY]
    others = [n for n in ranked if n not in baseline]
    families: dict[str, Node] = {}
    for node in others:
        families.setdefault(family_of(node), node)
    leaders = list(families.values())
    order = others[:1] + baseline + leaders[1:] + [n for n in others if n not in leaders]
    seen: set[str] = set()
    chosen = []
    for node in order:
        workspace = nodes_dir / node.payload["key"] / "workspace"
        try:
            digest = hashlib.sha256(read_bytes(workspace, "val_predictions.npy")).hexdigest()
        except WorkspaceFileError:  # none to compare (or refused): a candidate of its own
            digest = f"node {node.id}"
        if digest not in seen:
            seen.add(digest)
            chosen.append(node)
        if len(chosen) == size:
            break
    return chosen


def survivors(entrants: int) -> int:
    """How many of a race's ``entrants`` run every fold: the better half, at least
    ``ENSEMBLE_SIZE`` (enough to ensemble by a vote)."""
    return min(entrants, max(ENSEMBLE_SIZE, -(-entrants // 2)))


def race_size(candidates: list[Entrant], folds: int, seconds: float | None) -> int:
    """How many of the shortlist (in order) can be raced in ``seconds``: each runs the first
    fold, and the slowest survivors' other folds must still fit (their execution and grading
    times, and the candidates' median wait for a sandbox: one that waited long for a sandbox
    of its own, as the run's first solution does, is not slow itself); 0 when fewer than two
    fit."""
    if seconds is None:
        return len(candidates)
    wait = float(np.median([c.node.info.get("startup_time", 0.0) for c in candidates] or [0]))
    own = [run_time({**c.node.info, "startup_time": wait}) for c in candidates]
    for size in range(len(candidates), 1, -1):  # fewer than two would compare nothing
        times = own[:size]
        slowest = sorted(times, reverse=True)[: survivors(size)]
        if sum(times) + (folds - 1) * sum(slowest) <= seconds:
            return size
    return 0


def race(
    candidates: list[Entrant],
    folds: list[TaskFolder],
    root: Path,
    limits: Limits,
    isolation: str | None,
    signed: Callable[[float], float],
    spares: Spares | None = None,
) -> None:
    """Cross-validate ``candidates`` in two rounds (their ``fold_scores``): every candidate on
    the first fold, then the better half of them (at least ``ENSEMBLE_SIZE``) on the other
    folds. A failed fold drops a candidate (``fold_scores`` None)."""

    def run(candidate: Entrant, fold: int) -> None:
        key = candidate.node.payload["key"]
        result = execute(
            folds[fold],
            candidate.node.payload["code"],
            root / key / f"fold_{fold}",
            limits=limits,
            isolation=isolation,
            spares=spares,
        )
        if result.score is None:
            candidate.fold_scores = None
        else:
            candidate.fold_scores = [*(candidate.fold_scores or []), result.score]

    for candidate in candidates:
        run(candidate, 0)
    first = [c for c in candidates if c.fold_scores]
    first.sort(key=lambda c: -signed(c.fold_scores[0]))  # type: ignore[index]
    finalists = first[: survivors(len(first))]
    for fold in range(1, len(folds)):  # fold by fold: the same data, so spare sandboxes fit
        for candidate in finalists:
            if candidate.fold_scores is not None:
                run(candidate, fold)


def select_solution(
    task: TaskFolder,
    tree: SearchTree,
    run_dir: Path,
    folds: int,
    size: int,
    limits: Limits,
    isolation: str | None = None,
    seconds: float | None = None,
    ensemble: bool = True,
    spares: Spares | None = None,
) -> Selection:
    """Choose the run's solution: the shortlisted node with the best mean score over
    ``folds`` folds (ties and uncross-validated candidates: the best validation score), the
    shortlist raced (:func:`race`) so that the weaker half runs one fold only.

    ``seconds`` bounds the time spent: the race takes the first candidates whose execution
    times, once per fold they would run (:func:`race_size`), fit it; the others are not run
    (with fewer than two, the best by validation score is the fallback). Solutions run under
    ``limits`` in ``run_dir/selection/<key>/fold_<i>``. With ``ensemble``, the ensemble of the
    best cross-validated candidates is chosen when it is better (:func:`try_ensemble`). The
    reruns start their sandboxes from ``spares`` (the run's) when given."""
    started = time.perf_counter()
    best = tree.best_node()
    if best is None or folds < 2 or size < 2 or not supports_cross_validation(task):
        return Selection(best, "validation", 0, [], time.perf_counter() - started, None, best)
    root = run_dir / "selection"
    try:
        fold_tasks = write_folds(task, folds, root / "data")
    except ValueError as exc:  # too few rows, or arrays that do not stack: keep the run's best
        log.warning("no cross-validation: %s", exc)
        return Selection(best, "validation", 0, [], time.perf_counter() - started, None, best)
    candidates = [Entrant(node, folds) for node in shortlist(tree, run_dir / "nodes", size)]
    log.info("choosing among %d solutions by %d-fold cross-validation", len(candidates), folds)
    left = None if seconds is None else seconds - (time.perf_counter() - started)
    entrants = candidates[: race_size(candidates, folds, left)]
    race(entrants, fold_tasks, root, limits, isolation, task.spec.signed, spares)
    scored = [c for c in candidates if c.cv_score is not None]
    if len(scored) < 2:  # nothing to compare: keep the best by validation score
        seconds_taken = time.perf_counter() - started
        return Selection(best, "validation", folds, candidates, seconds_taken, None, best)
    scored.sort(key=lambda c: -task.spec.signed(c.cv_score))  # type: ignore[arg-type]
    chosen, rule, tried = scored[0].node, "cross_validation", None
    if ensemble:
        combined = try_ensemble(task, tree, scored, fold_tasks, run_dir)
        tried = combined.to_dict()
        if combined.node is not None:
            chosen, rule = combined.node, "ensemble"
    return Selection(chosen, rule, folds, candidates, time.perf_counter() - started, tried, best)


@dataclass
class Ensemble:
    """The ensemble of the best cross-validated candidates: its members (node ids, best
    first), its fold scores from their fold predictions (None: too few members, or a fold
    could not be combined), and its node when it was chosen (None: its mean was no better
    than the best member's, or its predictions could not be combined)."""

    members: list[int]
    fold_scores: list[float] | None = None
    node: Node | None = None
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        cv = None if self.fold_scores is None else float(np.mean(self.fold_scores))
        node, val = (
            (None, None) if self.node is None else (self.node.id, self.node.info["val_score"])
        )
        return {
            "members": self.members,
            "fold_scores": self.fold_scores,
            "cv_score": cv,
            "node": node,
            "val_score": val,
            "reason": self.reason,
        }


def try_ensemble(
    task: TaskFolder,
    tree: SearchTree,
    ranked: list[Entrant],
    folds: list[TaskFolder],
    run_dir: Path,
) -> Ensemble:
    """Cross-validate the ensemble of the ``ENSEMBLE_SIZE`` best of ``ranked`` (sorted best
    first by cross-validation score) from the predictions their folds left, and when its mean
    beats the best member's, make it a solution: its program (which runs each member and
    combines their predictions) and, in its workspace, its predictions, combined from those
    its members made in their own runs (the same programs on the same data: nothing is rerun,
    so the ensemble costs no more time than the race)."""
    members = ranked[:ENSEMBLE_SIZE]
    ensemble = Ensemble([c.node.id for c in members])
    kind = task.spec.kind
    if kind not in ("classification", "regression"):
        ensemble.reason = f"no ensembles of {kind} solutions"
        return ensemble
    if len(members) < min_members(kind):
        ensemble.reason = f"{len(members)} cross-validated candidates: too few to ensemble"
        return ensemble
    selection, nodes = run_dir / "selection", run_dir / "nodes"
    scores = []
    for i, fold in enumerate(folds):
        workspaces = [
            selection / c.node.payload["key"] / f"fold_{i}" / "workspace" for c in members
        ]
        combined = selection / "ensemble" / f"fold_{i}"
        refused = _combine_predictions(workspaces, combined, ("val",), kind)
        if refused is not None:
            ensemble.reason = f"the predictions of fold {i} could not be combined: {refused}"
            return ensemble
        scores.append(grade(fold, combined / "val_predictions.npy", "val").get("score"))
    if any(score is None for score in scores):
        ensemble.reason = "a combined fold could not be graded"
        return ensemble
    ensemble.fold_scores = [float(score) for score in scores]
    signed = task.spec.signed
    if signed(float(np.mean(scores))) <= signed(members[0].cv_score):  # type: ignore[arg-type]
        ensemble.reason = "no better than its best member"
        return ensemble
    code = ensemble_code([c.node.payload["code"] for c in members], kind)
    key = "ensemble-" + hashlib.sha256(code.encode()).hexdigest()[:16]
    workspace = nodes / key / "workspace"
    shutil.rmtree(workspace, ignore_errors=True)
    own = [nodes / c.node.payload["key"] / "workspace" for c in members]
    refused = _combine_predictions(own, workspace, ("val", "test"), kind)
    if refused is not None:
        ensemble.reason = f"its members' own predictions could not be combined: {refused}"
        return ensemble
    (workspace / SCRIPT).write_text(code)
    val = grade(task, workspace / "val_predictions.npy", "val").get("score")
    if val is None:
        ensemble.reason = "its validation predictions could not be graded"
        return ensemble
    plan = "ensemble of nodes " + ", ".join(str(c.node.id) for c in members)
    ensemble.node = Node(
        id=len(tree),
        payload={"key": key, "code": code, "plan": plan, "operator": "ensemble"},
        operator="crossover",  # the tree's name for a child of several parents
        parents=tuple(c.node.id for c in members),
        score=signed(val),
        info={"val_score": val, "exec_time": sum(c.node.info["exec_time"] for c in members)},
    )
    ensemble.reason = "better than its best member by cross-validation"
    return ensemble


def _combine_predictions(
    workspaces: list[Path], out: Path, splits: tuple[str, ...], kind: str
) -> str | None:
    """Combine the ``splits``' prediction files of ``workspaces`` into ``out``; why not when
    one is missing, refused (a link, a FIFO, too large: read only as a regular file inside its
    workspace, see :mod:`research_agent.solutions.workspace_files`) or they do not stack."""
    out.mkdir(parents=True, exist_ok=True)
    for split in splits:
        name = f"{split}_predictions.npy"
        arrays = []
        for workspace in workspaces:
            try:
                arrays.append(load_array(workspace, name, MAX_PREDICTION_BYTES))
            except WorkspaceFileError as exc:
                return f"{exc} (in {workspace.parent.name})"
        try:
            combined = combine(arrays, kind)
        except ValueError as exc:
            return f"the {name} files do not stack: {exc}"
        np.save(out / name, combined)
    return None


def held_out_scores(task: TaskFolder, selection: Selection, run_dir: Path) -> dict[str, Any]:
    """Grade the held-out answers once, after the search and the choice: the chosen
    solution's ``test_score`` (or ``test_error``), and for the report the test score of the
    best node by validation score (``best_val_node``, ``best_val_node_test_score``; the same
    when it was chosen). Nothing of it goes back into the search or the choice."""

    def test_of(node: Node) -> dict[str, Any]:
        workspace = run_dir / "nodes" / node.payload["key"] / "workspace"
        return grade(task, workspace / "test_predictions.npy", "test", node.info["exec_time"])

    chosen, best = selection.chosen, selection.by_validation
    test = test_of(chosen) if chosen is not None else {"error": "no solution ran without a bug"}
    scores = {"test_score": test.get("score"), "test_error": test.get("error")}
    if best is not None:
        of_best = test if best is chosen else test_of(best)
        scores.update(best_val_node=best.id, best_val_node_test_score=of_best.get("score"))
    return scores
