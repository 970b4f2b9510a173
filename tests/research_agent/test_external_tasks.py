"""MLGym and MLE-bench tasks: loading, grading with their own graders, medals, errors, a run."""

from __future__ import annotations

import csv
import subprocess
import textwrap
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import yaml

from research_agent.execution.execute import execute
from research_agent.run import research
from research_agent.tasks import TaskFolder, grade, load_task
from research_agent.tasks.external.grading import grader_python
from research_agent.tasks.external.mlebench import (
    LeaderboardSpec,
    medal_thresholds,
    read_leaderboard,
)
from research_agent.tasks.external.task_config import ExternalTaskError
from research_agent.tasks.external.validation_split import carve
from tests.research_agent.helpers import FAST, research_cfg

PATIENT = replace(FAST, wall_s=120.0)  # the template's sklearn import on a loaded machine


def _has_pandas() -> bool:
    return (
        subprocess.run([grader_python(), "-c", "import pandas"], capture_output=True).returncode
        == 0
    )


needs_pandas = pytest.mark.skipif(
    not _has_pandas(), reason="MLE-bench graders need pandas (set RESEARCH_GRADER_PYTHON)"
)


def _rows(n: int, seed: int) -> list[dict[str, object]]:
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        x1, x2 = rng.normal(size=2)
        label = "yes" if x1 > 0 else "no"
        rows.append({"x1": round(float(x1), 4), "x2": round(float(x2), 4),
                     "color": ["red", "blue"][i % 2], "label": label})  # fmt: skip
    return rows


def _write_csv(path: Path, rows: list[dict[str, object]], columns: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)


def _split(id_column: str) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    train, test = _rows(60, 0), _rows(20, 1)
    for i, row in enumerate(train + test):
        row[id_column] = 1000 + i
    return train, test


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


def val_answers(task) -> list[dict[str, str]]:
    """The validation rows' answers the view keeps private."""
    return _read(task.root / "private" / "val_answers.csv")


def share(rows: list[dict[str, object]], label: str) -> float:
    return sum(str(r["label"]) == label for r in rows) / len(rows)


def files_under(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


# --- MLE-bench ------------------------------------------------------------------------------

GRADE_PY = """
import pandas as pd


def grade(submission: pd.DataFrame, answers: pd.DataFrame) -> float:
    if set(submission["id"]) != set(answers["id"]) or len(submission) != len(answers):
        raise ValueError("the submission's ids are not the answers' ids")
    merged = answers.merge(submission, on="id", suffixes=("_true", "_pred"))
    return float((merged["label_true"] == merged["label_pred"]).mean())
"""


def make_competition(root: Path, leaderboard: list[float] | None = None) -> tuple[Path, Path]:
    """A tiny MLE-bench checkout and data dir; (competition folder, data dir)."""
    comp = root / "mle-bench" / "mlebench" / "competitions" / "tiny-comp"
    comp.mkdir(parents=True)
    config = {
        "id": "tiny-comp",
        "name": "Tiny Competition",
        "competition_type": "simple",
        "awards_medals": True,
        "prizes": None,
        "description": "mlebench/competitions/tiny-comp/description.md",
        "dataset": {
            "answers": "tiny-comp/prepared/private/test.csv",
            "sample_submission": "tiny-comp/prepared/public/sample_submission.csv",
        },
        "grader": {"name": "accuracy", "grade_fn": "mlebench.competitions.tiny-comp.grade:grade"},
        "preparer": "mlebench.competitions.tiny-comp.prepare:prepare",
    }
    (comp / "config.yaml").write_text(yaml.safe_dump(config))
    (comp / "description.md").write_text("Predict whether label is yes from x1, x2, color.\n")
    (comp / "grade.py").write_text(GRADE_PY)
    scores = leaderboard or [1.0, 0.98, 0.95, 0.93, 0.9, 0.88, 0.85, 0.8, 0.75, 0.7, 0.6, 0.5]
    _write_csv(comp / "leaderboard.csv", [{"teamId": i, "score": s} for i, s in enumerate(scores)],
               ["teamId", "score"])  # fmt: skip
    data = root / "mle-data"
    prepared = data / "tiny-comp" / "prepared"
    train, test = _split("id")
    _write_csv(prepared / "public" / "train.csv", train, ["id", "x1", "x2", "color", "label"])
    _write_csv(prepared / "public" / "test.csv", test, ["id", "x1", "x2", "color"])
    sample = [{**r, "label": "no"} for r in test]
    _write_csv(prepared / "public" / "sample_submission.csv", sample, ["id", "label"])
    _write_csv(prepared / "private" / "test.csv", test, ["id", "label"])
    return comp, data


Loaded = tuple[TaskFolder, Path]


@pytest.fixture(scope="module")
def tiny_comp(tmp_path_factory: pytest.TempPathFactory) -> Loaded:
    """The tiny competition loaded once (its view and baseline run): (task, its root folder)."""
    root = tmp_path_factory.mktemp("tiny-comp")
    comp, data = make_competition(root)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLEBENCH_DATA_DIR", str(data))
        return load_task(f"mlebench:{comp}", root / "cache", runner=execute), root


@pytest.fixture
def competition(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    comp, data = make_competition(tmp_path)
    monkeypatch.setenv("MLEBENCH_DATA_DIR", str(data))
    return comp


def test_medal_thresholds_follow_mle_bench_rule():
    def board(n: int) -> list[float]:  # higher is better, best first: position p scores n-p+1
        return [float(s) for s in range(n, 0, -1)]

    # N < 100: positions max(1, ⌊0.1N⌋), ⌊0.2N⌋, ⌊0.4N⌋; median of all scores
    assert medal_thresholds(board(12)) == {"gold": 12, "silver": 11, "bronze": 9, "median": 6.5}
    assert medal_thresholds(board(5)) == {"gold": 5, "silver": 5, "bronze": 4, "median": 3}
    # 100 <= N < 250: gold at 10
    assert medal_thresholds(board(150)) == {"gold": 141, "silver": 121, "bronze": 91,
                                            "median": 75.5}  # fmt: skip
    # 250 <= N < 1000: gold at 10 + ⌊0.002N⌋, silver 50, bronze 100
    assert medal_thresholds(board(500)) == {"gold": 490, "silver": 451, "bronze": 401,
                                            "median": 250.5}  # fmt: skip
    # N >= 1000: silver ⌊0.05N⌋, bronze ⌊0.1N⌋
    assert medal_thresholds(board(2000)) == {"gold": 1987, "silver": 1901, "bronze": 1801,
                                             "median": 1000.5}  # fmt: skip


def test_medals_are_awarded_like_mle_bench():
    medals = {"gold": 0.9, "silver": 0.8, "bronze": 0.7, "median": 0.6}
    spec = LeaderboardSpec("c", "", "submission", "accuracy", "maximize", medals=medals)
    assert [spec.medal(s) for s in (0.95, 0.9, 0.85, 0.7, 0.65, 0.6, 0.1, None)] == [
        "gold", "gold", "silver", "bronze", "above_median", None, None, None]  # fmt: skip
    low = {"gold": 0.1, "silver": 0.2, "bronze": 0.3, "median": 0.5}
    spec = LeaderboardSpec("c", "", "submission", "rmse", "minimize", medals=low)
    assert [spec.medal(s) for s in (0.05, 0.2, 0.4, 0.5)] == [
        "gold",
        "silver",
        "above_median",
        None,
    ]


def test_an_mle_bench_competition_loads_with_its_leaderboard(tiny_comp: Loaded):
    task, root = tiny_comp
    spec = task.spec
    assert spec.id == "tiny-comp" and spec.metric == "accuracy" and spec.direction == "maximize"
    assert spec.medals == {"gold": 1.0, "silver": 0.98, "bronze": 0.93, "median": 0.865}
    assert spec.kind == "classification" and "sample_submission.csv" in spec.description
    public = {p.name for p in task.public_dir.iterdir()}
    assert {"train.csv", "val.csv", "test.csv", "sample_submission.csv", "train_X.npy",
            "val_X.npy", "test_X.npy"} <= public  # fmt: skip
    held_out = root / "mle-data" / "tiny-comp" / "prepared" / "private" / "test.csv"
    assert held_out.read_bytes() not in files_under(task.root).values()  # the answers stay out
    assert task.starter.is_file()
    comp = root / "mle-bench" / "mlebench" / "competitions" / "tiny-comp"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLEBENCH_DATA_DIR", str(root / "mle-data"))
        again = load_task(f"mlebench:{comp}", root / "cache", runner=execute)
    assert again.spec == task.spec  # the view folder is reused


def test_the_validation_split_is_carved_out_of_the_training_rows(tiny_comp: Loaded):
    """Seeded, stratified, 20%: its answers private, its rows gone from the public train.csv;
    the task's own train.csv is left as it was (the view's is a new file, not a link)."""
    task, root = tiny_comp
    source = root / "mle-data" / "tiny-comp" / "prepared" / "public" / "train.csv"
    assert len(_read(source)) == 60
    train, test = _split("id")
    answers, public_train = val_answers(task), _read(task.public_dir / "train.csv")
    val = _read(task.public_dir / "val.csv")
    assert len(answers) == len(val) == 12 and len(public_train) == 48
    assert [r["id"] for r in val] == [r["id"] for r in answers]
    assert "label" not in val[0] and set(val[0]) == {"id", "x1", "x2", "color"}
    assert {r["id"] for r in answers} | {r["id"] for r in public_train} == {
        str(r["id"]) for r in train}  # fmt: skip
    assert not {r["id"] for r in answers} & {str(r["id"]) for r in test}
    truth = {str(r["id"]): r["label"] for r in train}
    assert all(truth[r["id"]] == r["label"] for r in answers)
    assert share(answers, "yes") == pytest.approx(share(train, "yes"), abs=0.05)  # stratified
    np.testing.assert_array_equal(
        np.load(task.root / "private" / "val_labels.npy"),
        [1 if r["label"] == "yes" else 0 for r in answers],
    )
    assert len(np.load(task.public_dir / "val_X.npy")) == 12
    assert len(np.load(task.public_dir / "train_y.npy")) == 48
    labels = [str(r["label"]) for r in train]
    picked = carve(labels, 0.2, 0, stratify=True)
    np.testing.assert_array_equal(picked, carve(labels, 0.2, 0, stratify=True))  # seeded
    assert [str(train[i]["id"]) for i in picked] == [r["id"] for r in answers]


@needs_pandas
def test_mle_bench_grading_runs_the_competitions_grade_function(tiny_comp: Loaded, tmp_path: Path):
    task, _ = tiny_comp
    _, test = _split("id")
    answers = val_answers(task)
    workspace = tmp_path / "workspace"
    # the search's score: val_submission.csv against the validation answers
    _write_csv(workspace / "val_submission.csv", answers, ["id", "label"])
    _write_csv(workspace / "submission.csv", [{**r, "label": "yes"} for r in test],
               ["id", "label"])  # fmt: skip
    assert grade(task, workspace / "val_predictions.npy", "val")["score"] == 1.0
    # the held-out answers: submission.csv, graded for the final solution only
    assert grade(task, workspace / "test_predictions.npy", "test")["score"] == round(
        share(test, "yes"), 5
    )
    _write_csv(workspace / "submission.csv", test[:5], ["id", "label"])
    assert "invalid submission" in grade(task, workspace / "x.npy", "test")["error"]
    # no submission files: the tabular adapter builds them from the predictions (class codes)
    (workspace / "submission.csv").unlink()
    (workspace / "val_submission.csv").unlink()
    np.save(workspace / "test_predictions.npy", [1 if r["label"] == "yes" else 0 for r in test])
    assert grade(task, workspace / "test_predictions.npy", "test")["score"] == 1.0
    assert (
        "no val_submission.csv and no val_predictions.npy"
        in grade(task, workspace / "val_predictions.npy", "val")["error"]
    )
    np.save(workspace / "val_predictions.npy", [0] * len(answers))
    assert grade(task, workspace / "val_predictions.npy", "val")["score"] == round(
        share(answers, "no"), 5
    )
    assert "error" in grade(task, tmp_path / "empty" / "test_predictions.npy", "test")


@needs_pandas
def test_held_out_answers_never_score_the_search(tiny_comp: Loaded, tmp_path: Path):
    """A solution that submits the held-out answers themselves (as if it had found them) scores
    nothing on validation: the search's score never reads them."""
    task, _ = tiny_comp
    _, test = _split("id")
    workspace = tmp_path / "workspace"
    _write_csv(workspace / "submission.csv", test, ["id", "label"])
    assert "no val_submission.csv" in grade(task, workspace / "x.npy", "val")["error"]
    wrong = [{**r, "label": "no" if r["label"] == "yes" else "yes"} for r in val_answers(task)]
    _write_csv(workspace / "val_submission.csv", wrong, ["id", "label"])
    assert grade(task, workspace / "x.npy", "val")["score"] == 0.0
    assert grade(task, workspace / "x.npy", "test")["score"] == 1.0


@needs_pandas
def test_the_score_comes_from_the_grader_never_from_the_solutions_output(
    tiny_comp: Loaded, tmp_path: Path
):
    task, _ = tiny_comp
    code = textwrap.dedent("""
        import csv, os
        print('{"score": 1.0, "accuracy": 1.0}')
        data, out = os.environ["DATA_DIR"], os.environ["OUTPUT_DIR"]
        for rows, name in (("test.csv", "submission.csv"), ("val.csv", "val_submission.csv")):
            ids = [r["id"] for r in csv.DictReader(open(os.path.join(data, rows)))]
            with open(os.path.join(out, name), "w") as f:
                f.write("id,label\\n" + "".join(f"{i},no\\n" for i in ids))
        answers = os.path.join(data, "..", "private", "test.csv")
        assert not os.path.exists(answers)
    """)
    result = execute(task, code, tmp_path / "node", FAST)
    assert result.error is None, result.stderr
    assert result.score == round(share(val_answers(task), "no"), 5) < 1.0


@needs_pandas
def test_the_baseline_score_is_the_starters_validation_score(tiny_comp: Loaded, tmp_path: Path):
    task, _ = tiny_comp
    result = execute(task, task.starter.read_text(), tmp_path / "node", PATIENT)
    assert result.score == task.spec.baseline_score is not None


def test_malformed_mle_bench_competitions_name_the_file_and_key(tmp_path: Path, monkeypatch):
    comp, data = make_competition(tmp_path)
    monkeypatch.setenv("MLEBENCH_DATA_DIR", str(data))
    config = yaml.safe_load((comp / "config.yaml").read_text())
    cache = tmp_path / "cache"
    with pytest.raises(FileNotFoundError, match=r"nowhere.*MLE-bench competition folder"):
        load_task(f"mlebench:{tmp_path / 'nowhere'}", cache, runner=execute)
    (comp / "config.yaml").write_text(yaml.safe_dump({k: v for k, v in config.items()
                                                      if k != "grader"}))  # fmt: skip
    with pytest.raises(ExternalTaskError, match=r"config\.yaml: missing required key 'grader'"):
        load_task(f"mlebench:{comp}", cache, runner=execute)
    broken = {**config, "grader": {"name": "accuracy", "grade_fn": "no_function_here"}}
    (comp / "config.yaml").write_text(yaml.safe_dump(broken))
    with pytest.raises(ExternalTaskError, match="grade_fn must be 'module:function'"):
        load_task(f"mlebench:{comp}", cache, runner=execute)
    (comp / "config.yaml").write_text(yaml.safe_dump(config))
    (comp / "leaderboard.csv").write_text("teamId,points\n1,3\n")
    with pytest.raises(
        ExternalTaskError, match=r"leaderboard\.csv: the leaderboard has no 'score'"
    ):
        load_task(f"mlebench:{comp}", cache, runner=execute)
    monkeypatch.setenv("MLEBENCH_DATA_DIR", str(tmp_path / "unprepared"))
    with pytest.raises(ExternalTaskError, match="mlebench prepare -c tiny-comp"):
        load_task(f"mlebench:{comp}", cache, runner=execute)


def test_a_lower_is_better_leaderboard_minimizes(tmp_path: Path, monkeypatch):
    comp, data = make_competition(tmp_path, leaderboard=[0.1, 0.2, 0.3, 0.4, 0.5])
    monkeypatch.setenv("MLEBENCH_DATA_DIR", str(data))
    assert read_leaderboard(comp / "leaderboard.csv") == [0.1, 0.2, 0.3, 0.4, 0.5]
    spec = load_task(f"mlebench:{comp}", tmp_path / "cache", runner=execute).spec
    assert spec.direction == "minimize"
    assert spec.medals == {"gold": 0.1, "silver": 0.1, "bronze": 0.2, "median": 0.3}


# --- MLGym ----------------------------------------------------------------------------------

EVALUATE_PY = """
import argparse
import csv
import json
import os
import sys

WORKSPACE = "/home/agent/workspace"


def read(path):
    with open(path, newline="") as f:
        return {row["id"]: row["label"] for row in csv.DictReader(f)}


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--submission_file", default=os.path.join(WORKSPACE, "submission.csv"))
    args = parser.parse_args()
    truth = read(os.path.join(WORKSPACE, "data", "ground_truth.csv"))
    try:
        predicted = read(args.submission_file)
    except KeyError as exc:
        print(f"Error: the submission lacks the column {exc}", file=sys.stderr)
        sys.exit(1)
    if set(predicted) != set(truth):
        print("Error: the submission's ids are not the test ids", file=sys.stderr)
        sys.exit(1)
    accuracy = sum(predicted[k] == v for k, v in truth.items()) / len(truth)
    print(json.dumps({"accuracy": accuracy, "rows": len(truth)}))
"""

BASELINE_PY = """
import csv

with open("data/train.csv", newline="") as f:
    labels = [row["label"] for row in csv.DictReader(f)]
majority = max(sorted(set(labels)), key=labels.count)
with open("data/test.csv", newline="") as f:
    ids = [row["id"] for row in csv.DictReader(f)]
with open("submission.csv", "w", newline="") as f:
    writer = csv.writer(f)
    writer.writerow(["id", "label"])
    writer.writerows([i, majority] for i in ids)
"""


def make_mlgym(root: Path, **overrides: object) -> Path:
    """A tiny MLGym tree (task config, dataset config, data, evaluate.py); the task config."""
    tree = root / "MLGym"
    task_dir = tree / "data" / "tinyTask"
    train, test = _split("id")
    _write_csv(task_dir / "data" / "train.csv", train, ["id", "x1", "x2", "color", "label"])
    _write_csv(task_dir / "data" / "test.csv", test, ["id", "x1", "x2", "color"])
    _write_csv(task_dir / "data" / "ground_truth.csv", test, ["id", "label"])
    _write_csv(task_dir / "sample_submission.csv", [{**r, "label": "no"} for r in test],
               ["id", "label"])  # fmt: skip
    (task_dir / "evaluate.py").write_text(EVALUATE_PY)
    (task_dir / "baseline.py").write_text(BASELINE_PY)
    (tree / "configs" / "datasets").mkdir(parents=True)
    (tree / "configs" / "tasks").mkdir(parents=True)
    dataset = {"name": "tiny", "description": "train.csv and test.csv: x1, x2, color -> label.",
               "data_path": "data/tinyTask/data", "is_local": True}  # fmt: skip
    (tree / "configs" / "datasets" / "tiny.yaml").write_text(yaml.safe_dump(dataset))
    config = {
        "id": "tinyTask",
        "name": "Tiny classification",
        "description": "Predict label.\n{dataset_docs}\nSUBMISSION FORMAT: submission.csv",
        "dataset_configs": ["datasets/tiny.yaml"],
        "task_entrypoint": "CSVSubmissionTasks",
        "training_timeout": 60,
        "use_generic_conda": True,
        "starter_code": [
            "data/tinyTask/baseline.py",
            "data/tinyTask/evaluate.py",
            "data/tinyTask/sample_submission.csv",
        ],
        "baseline_paths": ["baseline.py"],
        "baseline_scores": [{"accuracy": 0.5}],
        "evaluation_paths": ["evaluate.py"],
        "evaluation_read_only": True,
        **overrides,
    }
    path = tree / "configs" / "tasks" / "tinyTask.yaml"
    path.write_text(yaml.safe_dump({k: v for k, v in config.items() if v is not None}))
    return path


def test_an_mlgym_task_loads_without_its_answers(tmp_path: Path):
    task = load_task(f"mlgym:{make_mlgym(tmp_path)}", tmp_path / "cache", runner=execute)
    spec = task.spec
    assert (spec.id, spec.metric, spec.direction) == ("tinyTask", "accuracy", "maximize")
    assert spec.time_limit_s == 60 and "TINY:\ntrain.csv and test.csv" in spec.description
    public = {p.name for p in task.public_dir.iterdir()}
    assert {"train.csv", "val.csv", "test.csv", "evaluate.py", "baseline.py",
            "sample_submission.csv"} <= public  # fmt: skip
    assert "ground_truth.csv" not in {p.name for p in task.root.rglob("*")}
    assert len(val_answers(task)) == 12 and len(_read(task.public_dir / "train.csv")) == 48
    assert "BASELINE = " in task.starter.read_text()  # MLGym's baseline, run for both splits


def test_mlgym_grading_runs_the_tasks_evaluation_script(tmp_path: Path):
    task = load_task(f"mlgym:{make_mlgym(tmp_path)}", tmp_path / "cache", runner=execute)
    _, test = _split("id")
    answers = val_answers(task)
    workspace = tmp_path / "workspace"
    _write_csv(workspace / "submission.csv", test, ["id", "label"])
    _write_csv(workspace / "val_submission.csv", answers, ["id", "label"])
    result = grade(task, workspace / "val_predictions.npy", "val")  # ground_truth: val answers
    assert result["score"] == 1.0 and result["metrics"]["rows"] == 12
    result = grade(task, workspace / "test_predictions.npy", "test")
    assert result["score"] == 1.0 and result["metrics"]["rows"] == 20
    wrong = [{**r, "label": "yes"} for r in test]
    _write_csv(workspace / "submission.csv", wrong, ["id", "label"])
    assert grade(task, workspace / "test_predictions.npy", "test")["score"] == share(test, "yes")
    _write_csv(workspace / "val_submission.csv", answers[:3], ["id", "label"])
    assert "not the test ids" in grade(task, workspace / "x.npy", "val")["error"]
    _write_csv(workspace / "submission.csv", test, ["id", "x1"])
    assert "lacks the column" in grade(task, workspace / "x.npy", "test")["error"]
    assert "no submission.csv" in grade(task, tmp_path / "none" / "x.npy", "test")["error"]


def test_the_mlgym_baseline_runs_in_the_sandbox_on_both_splits(tmp_path: Path):
    task = load_task(f"mlgym:{make_mlgym(tmp_path)}", tmp_path / "cache", runner=execute)
    result = execute(task, task.starter.read_text(), tmp_path / "node", PATIENT)
    assert result.error is None, result.stderr
    labels = [r["label"] for r in _read(task.public_dir / "train.csv")]
    majority = max(sorted(set(labels)), key=labels.count)
    assert result.score == share(val_answers(task), majority) == task.spec.baseline_score
    _, test = _split("id")
    test_score = grade(task, tmp_path / "node" / "workspace" / "x.npy", "test")["score"]
    assert test_score == share(test, majority)


def test_an_mlgym_tasks_own_validation_data_is_the_split(tmp_path: Path):
    config = make_mlgym(tmp_path, validation_fraction=0.5)
    data = config.parents[2] / "data" / "tinyTask" / "data"
    own = _rows(10, 7)
    for i, row in enumerate(own):
        row["id"] = 5000 + i
    _write_csv(data / "validation.csv", own, ["id", "x1", "x2", "color", "label"])
    task = load_task(f"mlgym:{config}", tmp_path / "cache", runner=execute)
    assert [r["id"] for r in val_answers(task)] == [str(r["id"]) for r in own]
    assert len(_read(task.public_dir / "train.csv")) == 60  # nothing carved out of train.csv
    assert "validation.csv" not in {p.name for p in task.public_dir.iterdir()}  # its answers
    assert "label" not in _read(task.public_dir / "val.csv")[0]


def test_a_validation_split_too_small_or_ungradable_is_an_error(tmp_path: Path):
    with pytest.raises(ExternalTaskError, match="validation_fraction must be between 0 and 1"):
        load_task(
            f"mlgym:{make_mlgym(tmp_path / 'a', validation_fraction=1.5)}",
            tmp_path / "c",
            runner=execute,
        )
    config = make_mlgym(tmp_path / "b")
    truth = config.parents[2] / "data" / "tinyTask" / "data" / "ground_truth.csv"
    truth.write_text("id,answer\n1060,no\n")
    with pytest.raises(ExternalTaskError, match="cannot grade a validation split"):
        load_task(f"mlgym:{config}", tmp_path / "c", runner=execute)


@pytest.mark.parametrize(
    ("overrides", "problem"),
    [
        ({"evaluation_paths": None}, "missing required key 'evaluation_paths'"),
        ({"task_entrypoint": "PythonSubmissionTasks"}, "task_entrypoint 'PythonSubmissionTasks'"),
        ({"dataset_configs": ["datasets/missing.yaml"]}, "key 'dataset_configs'"),
        ({"evaluation_paths": ["grade.py"]}, "key 'evaluation_paths': 'grade.py' is not among"),
        ({"starter_code": ["data/tinyTask/nope.py"]}, "key 'starter_code'.*nope.py"),
        ({"baseline_scores": None, "id": "other"}, "no metric"),
        ({"name": None}, "missing required key 'name'"),
    ],
)
def test_malformed_mlgym_configs_name_the_key(overrides: dict, problem: str, tmp_path: Path):
    config = make_mlgym(tmp_path, **overrides)
    with pytest.raises(ExternalTaskError, match=problem):
        load_task(f"mlgym:{config}", tmp_path / "cache", runner=execute)


def test_a_wrong_mlgym_path_names_it_and_what_is_expected(tmp_path: Path):
    with pytest.raises(FileNotFoundError, match=r"nope\.yaml.*MLGym task config"):
        load_task(f"mlgym:{tmp_path / 'nope.yaml'}", tmp_path / "cache", runner=execute)


def test_a_research_run_searches_an_mlgym_task(tmp_path: Path):
    config = make_mlgym(tmp_path)
    cache = tmp_path / "cache"
    overrides = [f"task=mlgym:{config}", "search=greedy", "search.num_drafts=1",
                 "budget.steps=2", "sandbox.time_limit_s=20"]  # fmt: skip
    metrics = research(research_cfg(cache, overrides), tmp_path / "run")
    assert metrics["nodes"] == 2 and metrics["task"] == "tinyTask"
    assert metrics["best_val_score"] is not None and metrics["test_error"] is None
    assert 0.5 <= metrics["test_score"] <= 1.0
    journal = (tmp_path / "run" / "journal.jsonl").read_text()
    assert '"val_score"' in journal and "test_score" not in journal  # held out from the search
