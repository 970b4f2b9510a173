"""The final choice of a run's solution by cross-validation over a shortlist."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from planning.domain import Expansion
from planning.tree import SearchTree
from research_agent.execution.execute import execute
from research_agent.reporting.report import selection_lines, split_lines
from research_agent.selection.cross_validation import (
    Entrant,
    Selection,
    family_of,
    held_out_scores,
    race_size,
    search_time,
    select_solution,
    shortlist,
    supports_cross_validation,
    write_folds,
)
from research_agent.selection.ensemble import combine, ensemble_code
from research_agent.solutions.program import render
from research_agent.solutions.space import default_config
from research_agent.tasks import TaskFolder
from research_agent.tasks.grading import grade
from tests.research_agent.helpers import FAST

# Two numpy-only solutions: the majority class of the training labels, and the nearest class
# mean of standardised features (wine's classes are well separated by it).
LOADS = """
import os
import numpy as np
DATA, OUT = os.environ.get("DATA_DIR", "/data"), os.environ.get("OUTPUT_DIR", ".")
x = np.load(os.path.join(DATA, "train_X.npy"))
y = np.load(os.path.join(DATA, "train_y.npy"))
"""
MAJORITY = (
    LOADS
    + """
for split in ("val", "test"):
    n = len(np.load(os.path.join(DATA, f"{split}_X.npy")))
    np.save(os.path.join(OUT, f"{split}_predictions.npy"), np.full(n, np.bincount(y).argmax()))
"""
)
CENTROID = (
    LOADS
    + """
mean, std = x.mean(0), x.std(0) + 1e-9
classes = np.unique(y)
centres = np.stack([((x[y == c] - mean) / std).mean(0) for c in classes])
for split in ("val", "test"):
    z = (np.load(os.path.join(DATA, f"{split}_X.npy")) - mean) / std
    distance = ((z[:, None, :] - centres[None]) ** 2).sum(-1)
    np.save(os.path.join(OUT, f"{split}_predictions.npy"), classes[distance.argmin(1)])
"""
)

RAW_CENTROID = CENTROID.replace("x.std(0) + 1e-9", "1.0")  # unscaled: worse, but not by much


Built = tuple[SearchTree, Path]  # a search tree and the run folder its nodes ran in


def copied(built: Built, tmp_path: Path) -> Built:
    """``built``'s tree with its nodes' folders copied into the run folder ``tmp_path``."""
    tree, run_dir = built
    shutil.copytree(run_dir / "nodes", tmp_path / "nodes")
    return tree, tmp_path


def tree_of(task: TaskFolder, codes: dict[str, str], run_dir: Path) -> SearchTree:
    """A search tree of ``codes`` (by key), each run in ``run_dir/nodes/<key>`` as a search
    would run it."""
    tree = SearchTree()
    for key, code in codes.items():
        result = execute(task, code, run_dir / "nodes" / key, FAST)
        assert result.score is not None, result.error
        info = {"key": key, "val_score": result.score, "exec_time": result.exec_time}
        payload = {"code": code, "plan": key, "key": key}
        tree.add(Expansion(payload, result.score, info=info), "draft", (), len(tree))
    return tree


def test_folds_partition_the_training_and_validation_rows(wine: TaskFolder, tmp_path: Path):
    public = wine.public_dir
    inputs = np.concatenate([np.load(public / "train_X.npy"), np.load(public / "val_X.npy")])
    labels = np.concatenate(
        [np.load(public / "train_y.npy"), np.load(wine.private_dir / "val_labels.npy")]
    )
    folds = write_folds(wine, 3, tmp_path)
    held = [np.load(f.public_dir / "val_X.npy") for f in folds]
    assert np.array_equal(np.concatenate(held), inputs)  # contiguous blocks, in order
    assert [len(h) for h in held] == [len(b) for b in np.array_split(inputs, 3)]
    start = 0
    for fold, block in zip(folds, held, strict=True):
        rows = np.arange(start, start + len(block))
        start += len(block)
        rest = np.setdiff1d(np.arange(len(inputs)), rows)
        assert np.array_equal(np.load(fold.public_dir / "train_X.npy"), inputs[rest])
        assert np.array_equal(np.load(fold.public_dir / "train_y.npy"), labels[rest])
        assert np.array_equal(np.load(fold.private_dir / "val_labels.npy"), labels[rows])
        assert np.array_equal(
            np.load(fold.public_dir / "test_X.npy"), np.load(public / "test_X.npy")
        )
        assert (fold.public_dir / "description.md").is_file()
        assert not (fold.private_dir / "test_labels.npy").exists()  # never near a fold
    with pytest.raises(ValueError, match="2 to"):
        write_folds(wine, 1, tmp_path)


def test_the_shortlist_is_cross_validated_and_the_best_mean_chosen(
    wine: TaskFolder, tmp_path: Path
):
    tree = tree_of(wine, {"majority": MAJORITY, "centroid": CENTROID}, tmp_path)
    selection = select_solution(wine, tree, tmp_path, 3, 5, FAST)
    assert selection.rule == "cross_validation" and selection.chosen.payload["key"] == "centroid"
    majority = next(c for c in selection.candidates if c.node.payload["key"] == "majority")
    # the majority class of each fold's training rows, scored on its held-out rows
    labels = np.concatenate(
        [np.load(wine.public_dir / "train_y.npy"), np.load(wine.private_dir / "val_labels.npy")]
    )
    expected = []
    for rows in np.array_split(np.arange(len(labels)), 3):
        train = np.delete(labels, rows)
        expected.append(np.mean(labels[rows] == np.bincount(train).argmax()))
    assert majority.fold_scores == pytest.approx(expected)
    assert majority.cv_score == pytest.approx(np.mean(expected))
    chosen = selection.to_dict()
    assert chosen["chosen"] == selection.chosen.id and len(chosen["candidates"]) == 2
    assert (tmp_path / "selection" / "centroid" / "fold_2" / "workspace").is_dir()


@pytest.fixture(scope="module")
def two_solutions(wine: TaskFolder, tmp_path_factory: pytest.TempPathFactory) -> Built:
    """Majority and centroid, and the centroid again (its validation predictions equal)."""
    run_dir = tmp_path_factory.mktemp("two_solutions")
    codes = {"majority": MAJORITY, "centroid": CENTROID, "again": CENTROID}
    return tree_of(wine, codes, run_dir), run_dir


def test_equal_validation_predictions_are_one_candidate(two_solutions: Built):
    tree, run_dir = two_solutions
    assert tree.best_node().payload["key"] == "centroid"
    picked = shortlist(tree, run_dir / "nodes", 5)
    assert [n.payload["key"] for n in picked] == ["centroid", "majority"]


def test_the_baseline_is_shortlisted_though_last_by_validation(wine: TaskFolder, tmp_path: Path):
    codes = {"centroid": CENTROID, "raw": RAW_CENTROID, "baseline": MAJORITY}
    tree = tree_of(wine, codes, tmp_path)
    scores = [n.score for n in tree.nodes]
    assert scores[0] > scores[1] > scores[2]
    picked = shortlist(tree, tmp_path / "nodes", 2)
    assert [n.payload["key"] for n in picked] == ["centroid", "baseline"]


def test_without_time_left_the_best_by_validation_is_kept(
    wine: TaskFolder, two_solutions: Built, tmp_path: Path
):
    tree, run_dir = copied(two_solutions, tmp_path)
    no_time = select_solution(wine, tree, run_dir, folds=3, size=5, limits=FAST, seconds=0.0)
    assert no_time.rule == "validation" and no_time.chosen is tree.best_node()
    assert all(c.fold_scores is None for c in no_time.candidates)


@pytest.mark.parametrize("folds", [0, 10_000], ids=["no folds", "more folds than rows"])
def test_without_folds_to_compare_on_the_best_by_validation_is_kept(
    wine: TaskFolder, two_solutions: Built, tmp_path: Path, folds: int
):
    tree, run_dir = copied(two_solutions, tmp_path)
    selection = select_solution(wine, tree, run_dir, folds=folds, size=5, limits=FAST)
    assert selection.rule == "validation" and selection.chosen is tree.best_node()


def test_an_empty_search_has_no_solution(wine: TaskFolder, tmp_path: Path):
    assert (
        select_solution(wine, SearchTree(), tmp_path, folds=3, size=5, limits=FAST).chosen is None
    )


def test_tasks_without_array_data_keep_the_whole_time_budget(wine: TaskFolder, tmp_path: Path):
    assert supports_cross_validation(wine)
    assert search_time(wine, 100.0, 3, 0.25) == pytest.approx(75.0)
    assert search_time(wine, None, 3, 0.25) is None and search_time(wine, 100.0, 1, 0.25) == 100
    bare = TaskFolder(tmp_path / "bare", wine.spec)
    shutil.copytree(wine.root, bare.root)
    (bare.public_dir / "val_X.npy").unlink()
    assert not supports_cross_validation(bare) and search_time(bare, 100.0, 3, 0.25) == 100


def test_the_shortlist_takes_the_best_of_each_family_and_races_it(wine: TaskFolder, tmp_path: Path):
    def linear(c: float, features: list[str]) -> str:
        config = {"model": "linear", "params": {"C": c}, "features": features}
        return render(config, "classification")

    raw = ["impute"]
    codes = {  # validation accuracy on wine, each with predictions of its own
        "linear": linear(1.0, ["impute", "standardize"]),  # 1.0
        "trees": render(default_config("extra_trees"), "classification"),  # 0.972
        "baseline": linear(0.01, raw),  # 0.889
        "knn": render(default_config("knn", raw), "classification"),  # 0.75
        "svm": render(default_config("svm", raw), "classification"),  # 0.722
        "majority": MAJORITY,  # 0.444, no CONFIG block: a family of its own
    }
    tree = tree_of(wine, codes, tmp_path)
    scores = [n.score for n in tree.nodes]
    assert scores == sorted(scores, reverse=True) and len(set(scores)) == len(scores)
    nodes = {n.payload["key"]: n for n in tree.nodes}
    assert family_of(nodes["baseline"]) == "linear" and family_of(nodes["majority"]) == "node 5"
    # the best overall, the baseline, then the other families' best by validation score
    picked = [n.payload["key"] for n in shortlist(tree, tmp_path / "nodes", 10)]
    assert picked == ["linear", "baseline", "trees", "knn", "svm", "majority"]
    assert len(shortlist(tree, tmp_path / "nodes", 3)) == 3

    selection = select_solution(wine, tree, tmp_path, 3, 10, FAST)
    assert selection.rule == "cross_validation" and len(selection.candidates) == 6
    ran = sorted(selection.candidates, key=lambda c: -c.fold_scores[0])
    assert [len(c.fold_scores) for c in ran] == [3, 3, 3, 1, 1, 1]  # the better half goes on
    assert [c.cv_score is None for c in ran] == [False, False, False, True, True, True]
    assert selection.chosen is max(ran[:3], key=lambda c: c.cv_score).node


def test_the_race_takes_as_many_candidates_as_the_time_left_allows():
    def shortlisted(*times: float, waits: tuple[float, ...] = ()) -> list[Entrant]:
        tree = SearchTree()
        for i, t in enumerate(times):
            info = {"exec_time": t, "startup_time": waits[i] if waits else 0.0}
            tree.add(Expansion({"key": str(i)}, 0.0, info=info), "draft", (), len(tree))
        return [Entrant(node, 3) for node in tree.nodes]

    four = shortlisted(1.0, 1.0, 1.0, 1.0)
    assert race_size(four, 3, None) == 4
    assert race_size(four, 3, 10.0) == 4  # 4 first folds, then 2 more for each of 3 survivors
    assert race_size(four, 3, 9.9) == 3  # 3 + 2 * 3
    assert race_size(four, 3, 5.9) == 0  # not even two could be compared
    slow = shortlisted(1.0, 5.0, 1.0)  # the slow one may survive: its folds must fit
    assert race_size(slow, 3, 21.0) == 3  # 7 + 2 * (1 + 5 + 1)
    assert race_size(slow, 3, 20.9) == 2  # 6 + 2 * (1 + 5)
    # a long wait for a sandbox of its own (the run's first solution) does not make it slow;
    # the typical wait (the median) counts for every candidate
    first_waited = shortlisted(1.0, 1.0, 1.0, 1.0, waits=(2.5, 0.0, 0.0, 0.0))
    assert race_size(first_waited, 3, 10.0) == 4
    all_waited = shortlisted(1.0, 1.0, 1.0, 1.0, waits=(0.5, 0.5, 0.5, 0.5))
    assert race_size(all_waited, 3, 10.0) == 2  # 1.5 s each: 2 * 1.5 + 2 * 2 * 1.5 = 9


def test_combine_votes_with_ties_to_the_first_member_and_averages_regressions():
    votes = [np.array([0, 1, 2, 2]), np.array([1, 1, 0, 2]), np.array([1, 0, 1, 0])]
    assert combine(votes, "classification").tolist() == [1, 1, 2, 2]
    rows = [np.array([[0, 1], [1, 1]]), np.array([[0, 1], [0, 0]]), np.array([[1, 1], [0, 0]])]
    assert combine(rows, "classification").tolist() == [[0, 1], [0, 0]]
    means = combine([np.array([1.0, 2.0]), np.array([3.0, 6.0])], "regression")
    assert means.tolist() == [2.0, 4.0]


def confused(label: int) -> str:
    """The standardised centroid solution, except that it calls class ``label`` the next one."""
    return CENTROID.replace(
        "classes[distance.argmin(1)])",
        f"np.where(classes[distance.argmin(1)] == {label}, {label + 1} % 3, "
        "classes[distance.argmin(1)]))",
    )


@pytest.fixture(scope="module")
def confused_trio(wine: TaskFolder, tmp_path_factory: pytest.TempPathFactory) -> Built:
    """Three solutions that each get one class wrong and agree on the right one by majority."""
    run_dir = tmp_path_factory.mktemp("confused_trio")
    codes = {f"confuses_{label}": confused(label) for label in range(3)}
    return tree_of(wine, codes, run_dir), run_dir


@pytest.fixture(scope="module")
def ensemble_choice(wine: TaskFolder, confused_trio: Built) -> Selection:
    tree, run_dir = confused_trio
    return select_solution(wine, tree, run_dir, folds=3, size=5, limits=FAST)


def ranked(selection: Selection) -> list[Entrant]:
    return sorted(selection.candidates, key=lambda c: -c.cv_score)


def test_an_ensemble_better_than_its_members_is_chosen(
    confused_trio: Built, ensemble_choice: Selection
):
    tree, _ = confused_trio
    assert all(n.score < 0.8 for n in tree.nodes)
    assert ensemble_choice.rule == "ensemble", ensemble_choice.ensemble
    node, ensemble = ensemble_choice.chosen, ensemble_choice.ensemble
    members = [c.node.id for c in ranked(ensemble_choice)]
    assert ensemble["members"] == members and node.parents == tuple(members)
    assert ensemble["cv_score"] > ranked(ensemble_choice)[0].cv_score + 0.2
    assert node.info["val_score"] > 0.9


def test_the_ensembles_program_makes_its_members_combined_predictions(
    wine: TaskFolder, confused_trio: Built, ensemble_choice: Selection, tmp_path: Path
):
    _, run_dir = confused_trio
    node, entrants = ensemble_choice.chosen, ranked(ensemble_choice)
    workspace = run_dir / "nodes" / node.payload["key"] / "workspace"
    code = ensemble_code([c.node.payload["code"] for c in entrants], "classification")
    assert code == node.payload["code"] == (workspace / "solution.py").read_text()
    rerun = execute(wine, code, tmp_path / "rerun", FAST)
    assert rerun.score == node.info["val_score"]
    members = [run_dir / "nodes" / c.node.payload["key"] / "workspace" for c in entrants]
    for split in ("val", "test"):
        name = f"{split}_predictions.npy"
        expected = combine([np.load(m / name) for m in members], "classification")
        assert np.array_equal(np.load(workspace / name), expected)
        assert np.array_equal(np.load(tmp_path / "rerun" / "workspace" / name), expected)
    assert grade(wine, workspace / "val_predictions.npy", "val")["score"] == node.info["val_score"]


def test_the_ensembles_fold_scores_are_its_programs_on_the_folds(
    wine: TaskFolder, ensemble_choice: Selection, tmp_path: Path
):
    code, folds = ensemble_choice.chosen.payload["code"], write_folds(wine, 3, tmp_path)
    ran = [execute(f, code, tmp_path / f"run_{i}", FAST) for i, f in enumerate(folds)]
    assert [r.score for r in ran] == pytest.approx(ensemble_choice.ensemble["fold_scores"])


def test_two_candidates_are_too_few_for_an_ensemble(wine: TaskFolder, tmp_path: Path):
    pair = tree_of(wine, {f"confuses_{label}": confused(label) for label in range(2)}, tmp_path)
    selection = select_solution(wine, pair, tmp_path, folds=3, size=5, limits=FAST)
    assert selection.rule == "cross_validation" and "too few" in selection.ensemble["reason"]


def test_the_report_marks_the_chosen_ensemble(ensemble_choice: Selection):
    report = "\n".join(selection_lines(ensemble_choice.to_dict()))
    members = ", ".join(str(m) for m in ensemble_choice.ensemble["members"])
    assert f"| ensemble of {members} |" in report and report.count("| yes |") == 1


def test_no_ensemble_is_tried_when_switched_off(
    wine: TaskFolder, confused_trio: Built, tmp_path: Path
):
    tree, run_dir = copied(confused_trio, tmp_path)
    off = select_solution(wine, tree, run_dir, folds=3, size=5, limits=FAST, ensemble=False)
    assert off.rule == "cross_validation" and off.ensemble is None


def test_the_held_out_answers_are_graded_once_after_the_choice(wine: TaskFolder, tmp_path: Path):
    """The chosen solution's test score, and for the report the best node by validation
    score's, named apart from the validation scores."""
    labels = np.load(wine.private_dir / "test_labels.npy")
    tree = SearchTree()
    for key, test in (("best_val", np.zeros_like(labels)), ("chosen", labels)):
        workspace = tmp_path / "nodes" / key / "workspace"
        workspace.mkdir(parents=True)
        np.save(workspace / "test_predictions.npy", test)
        info = {"key": key, "val_score": 1.0 if key == "best_val" else 0.9, "exec_time": 1.0}
        payload = {"code": "", "plan": key, "key": key}
        tree.add(Expansion(payload, info["val_score"], info=info), "draft", (), len(tree))
    by_val, chosen = tree.nodes
    choice = Selection(chosen, "cross_validation", 3, [], 0.0, None, by_val)
    scores = held_out_scores(wine, choice, tmp_path)
    zeros = float(np.mean(labels == 0))
    assert scores == {
        "test_score": 1.0,
        "test_error": None,
        "best_val_node": by_val.id,
        "best_val_node_test_score": zeros,
    }
    assert choice.to_dict()["best_by_validation"] == by_val.id
    text = " ".join(split_lines({**scores, "best_node": chosen.id}))
    assert "held-out answers, graded once" in text and f"node {by_val.id}, scores" in text
    none = held_out_scores(wine, Selection(None, "validation", 0, [], 0.0), tmp_path)
    assert none["test_score"] is None and "no solution" in none["test_error"]
