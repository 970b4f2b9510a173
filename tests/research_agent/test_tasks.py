from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from research_agent.tasks import (
    RECIPES,
    SOURCES,
    TaskFolder,
    find_source,
    gain_over_baseline,
    grade,
    load_task,
    prepare,
    register_task_source,
)


@dataclass
class Ran:
    score: float | None
    error: str | None = None


def never_runs(task: TaskFolder, code: str, node_dir: Path) -> Ran:
    raise AssertionError("a prepared task runs nothing")


def test_prepared_task_keeps_held_out_labels_private(wine: TaskFolder):
    public = {p.name for p in wine.public_dir.iterdir()}
    assert {"train_X.npy", "train_y.npy", "val_X.npy", "test_X.npy"} <= public
    assert not any("labels" in name for name in public)
    assert (wine.private_dir / "test_labels.npy").is_file()
    assert wine.private_dir.stat().st_mode & 0o077 == 0
    assert TaskFolder.load(wine.root).spec == wine.spec
    assert 0.5 < wine.spec.baseline_score < 1.0


def test_tasks_are_prepared_offline_with_a_given_baseline_scorer(tmp_path):
    task = prepare("diabetes", tmp_path, score_baseline=lambda task: 55.0)
    assert task.spec.baseline_score == 55.0 and task.spec.direction == "minimize"
    assert np.isnan(np.load(task.public_dir / "train_X.npy")).any()
    assert prepare("diabetes", tmp_path).spec.baseline_score == 55.0
    with pytest.raises(KeyError, match="unknown built-in task"):
        prepare("nope", tmp_path)


def test_a_task_is_named_by_its_sources_prefix_or_a_bare_name_the_source_claims(
    wine: TaskFolder, tasks_dir: Path
):
    for name in ("wine", "builtin:wine", str(wine.root)):
        assert load_task(name, tasks_dir, runner=never_runs).root == wine.root
    named = {name: find_source(name) for name in ("speedrun_1", "mlgym:x.yaml", "mlebench:c")}
    assert {name: found[0].prefix for name, found in named.items()} == {
        "speedrun_1": "speedrun",
        "mlgym:x.yaml": "mlgym",
        "mlebench:c": "mlebench",
    }
    assert find_source("some/task_folder") is None and find_source("nowhere:x") is None


def test_preparing_a_task_runs_its_starter_with_the_runner_passed_in(tmp_path: Path):
    ran = []

    def runner(task: TaskFolder, code: str, node_dir: Path) -> Ran:
        ran.append((task.spec.id, code == task.starter.read_text(), node_dir.name))
        return Ran(61.5)

    task = load_task("diabetes", tmp_path, runner=runner)
    assert ran == [("diabetes", True, "baseline_run")]  # the starter, once
    assert task.spec.baseline_score == 61.5
    with pytest.raises(RuntimeError, match="the baseline of wine failed: it broke"):
        load_task("wine", tmp_path, runner=lambda task, code, node_dir: Ran(None, "it broke"))


def test_a_registered_task_source_answers_for_its_prefix(tmp_path: Path, wine: TaskFolder):
    @register_task_source
    class Copies:
        """Tasks named copy:<id>: the wine task (a stand-in for a new benchmark's tasks)."""

        prefix = "copy"
        usage = "copy:<id>"

        def claims(self, name: str) -> bool:
            return False

        def check(self, name: str) -> None:
            return None

        def load(self, name: str, cache: Path, runner) -> TaskFolder:
            return wine

    try:
        assert load_task("copy:anything", tmp_path, runner=never_runs) is wine
        with pytest.raises(ValueError, match="registered for 'copy' already"):
            register_task_source(Copies)
    finally:
        del SOURCES["copy"]


def test_medals_respect_the_metric_direction(tmp_path):
    spec = prepare("diabetes", tmp_path, score_baseline=lambda task: 55.0).spec
    assert spec.medal(55.0) == "gold" and spec.medal(60.5) == "above_median"
    assert spec.medal(62.0) is None and spec.medal(None) is None
    assert RECIPES["wine"].spec.medal(1.0) == "gold"


def test_grading_scores_valid_predictions_and_rejects_tricks(wine: TaskFolder, tmp_path):
    labels = np.load(wine.private_dir / "val_labels.npy")
    good = tmp_path / "good.npy"
    np.save(good, labels)
    assert grade(wine, good, "val")["score"] == 1.0
    np.save(tmp_path / "short.npy", labels[:3])
    assert "shape" in grade(wine, tmp_path / "short.npy", "val")["error"]
    (tmp_path / "link.npy").symlink_to(wine.private_dir / "val_labels.npy")
    assert "error" in grade(wine, tmp_path / "link.npy", "val")
    assert "error" in grade(wine, tmp_path / "missing.npy", "val")


def test_gain_over_baseline_is_paired_and_says_when_it_is_noise(wine: TaskFolder, tmp_path):
    labels = np.load(wine.private_dir / "val_labels.npy")
    baseline = np.load(wine.baseline_run / "workspace" / "val_predictions.npy")
    workspace = tmp_path / "workspace"
    workspace.mkdir()

    def gain_of(predictions: np.ndarray) -> dict:
        np.save(workspace / "val_predictions.npy", predictions)
        return gain_over_baseline(wine, workspace, "val", resamples=400)

    perfect = gain_of(labels)
    score = grade(wine, workspace / "val_predictions.npy", "val")["score"]
    expected = score - wine.spec.baseline_score
    assert perfect["gain"] == pytest.approx(expected) and perfect["gain"] > 0.05
    assert 0 < perfect["ci95"][0] < perfect["gain"] < perfect["ci95"][1]
    assert gain_of(baseline) == {"gain": 0.0, "ci95": [0.0, 0.0]}  # paired: no noise at all
    one_fixed = baseline.copy()
    wrong = np.flatnonzero(baseline != labels)
    one_fixed[wrong[0]] = labels[wrong[0]]
    low, high = gain_of(one_fixed)["ci95"]
    assert low == 0.0 < high  # one sample better: within the split's noise
    assert gain_of(labels[:5]) is None  # wrong shape
    no_baseline = prepare("diabetes", tmp_path, score_baseline=lambda task: 55.0)
    assert gain_over_baseline(no_baseline, workspace, "val") is None
