"""Speedrun reproduction tasks: the record chain, the FSR metric, the grader and a real run."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import yaml

from planning.domain import Parent
from research_agent.operators import ProgrammaticOperators
from research_agent.run import research
from research_agent.solution import read_config, write_config
from research_agent.speedrun import CHAIN, fsr, num_records, parse_id, record_code, task_fsr
from research_agent.speedrun.corpus import VOCAB, build
from research_agent.speedrun.records import Improvement, record_config
from research_agent.tasks import Task, grade, load_task
from tests.research_agent.test_search import research_cfg


def test_each_record_is_the_previous_one_plus_one_improvement():
    assert num_records() == len(CHAIN) + 1 >= 4
    codes = [record_code(i) for i in range(num_records())]
    for index, code in enumerate(codes):
        compile(code, f"record{index}", "exec")
        assert read_config(code) == record_config(index)
    assert "self.pos = nn.Embedding" in codes[0] and "Muon" not in codes[0]
    for index, improvement in enumerate(CHAIN):
        before, after = codes[index], codes[index + 1]
        assert before != after
        for old, new in improvement.edits:
            assert old in before and (not new or new in after)
    assert "def rotate" in codes[-1] and "class Muon" in codes[-1]
    assert "self.pos = nn.Embedding" not in codes[-1]
    with pytest.raises(IndexError, match=r"valid: 0\.\."):
        record_code(num_records())
    broken = Improvement("x", "", "", edits=(("no such line\n", ""),))
    with pytest.raises(ValueError, match="'no such line' occurs 0 times"):
        broken.apply(codes[0])


def test_fsr_is_the_fraction_of_the_speedup_recovered():
    assert fsr(40.0, 20.0, 30.0) == pytest.approx(0.5)
    assert fsr(40.0, 20.0, 20.0) == pytest.approx(1.0)
    assert fsr(40.0, 20.0, 10.0) == pytest.approx(1.5)  # faster than the next record
    assert fsr(40.0, 20.0, 50.0) == pytest.approx(-0.5)  # slower than the given record
    assert fsr(40.0, 20.0, None) is None
    with pytest.raises(ValueError, match="not slower"):
        fsr(20.0, 20.0, 10.0)


def test_task_ids_name_preset_record_and_hint():
    spec, index, hint = parse_id("speedrun_1")
    assert (spec.name, index, hint) == ("cpu", 1, "none")
    spec, index, hint = parse_id("speedrun_gpu_0_pseudocode")
    assert (spec.name, index, hint, spec.wants_gpu) == ("gpu", 0, "pseudocode", True)
    for bad in ("speedrun_9", "speedrun_tpu_0", "speedrun_0_spoiler", "speedrun_x"):
        with pytest.raises(KeyError, match="valid: speedrun"):
            parse_id(bad)


def test_corpus_is_ascii_python_source():
    corpus = build(20_000, 4, 16)
    assert corpus.train.shape == (20_000,) and corpus.val.shape == (4, 17)
    assert corpus.test.shape == (4, 17) and corpus.train.dtype == np.uint8
    assert corpus.train.max() < VOCAB
    text = bytes(corpus.train).decode("ascii")
    assert "def " in text and "import" in text


@pytest.fixture(scope="module")
def smoke_task(tasks_dir: Path) -> Task:
    """Task speedrun_smoke_0 with both records timed by a real sandboxed run."""
    return load_task("speedrun_smoke_0_description", tasks_dir)


def test_task_folder_holds_records_hints_and_measured_times(smoke_task: Task):
    root = smoke_task.root
    info = json.loads((root / "speedrun.json").read_text())
    assert info["record"] == 0 and info["improvement"] == CHAIN[0].name
    assert info["t_record"] > 0 and info["t_next"] > 0
    assert smoke_task.spec.baseline_score == info["t_record"]
    assert smoke_task.starter.read_text() == record_code(0)
    assert (root / "private" / "reference_solution.py").read_text() == record_code(1)
    assert (root / "public" / "hint.md").read_text() == (root / "hints/description.md").read_text()
    assert CHAIN[0].pseudocode in (root / "hints" / "pseudocode.md").read_text()
    medals = smoke_task.spec.medals
    assert medals["gold"] < medals["silver"] < medals["bronze"] < medals["median"]
    if info["t_record"] > info["t_next"]:
        assert task_fsr(smoke_task, info["t_record"]) == pytest.approx(0.0)
        assert task_fsr(smoke_task, medals["gold"]) == pytest.approx(1.0, abs=1e-6)
    else:  # the toy preset's two records can time alike (seconds of start-up): FSR is undefined
        with pytest.raises(ValueError, match="is not slower than"):
            task_fsr(smoke_task, info["t_record"])
    assert yaml.safe_load((root / "task.yaml").read_text())["metric"] == "time_to_target"


def write_log_probs(path: Path, labels: np.ndarray, right: float) -> None:
    """Log-probabilities that give the right token probability ``right``, the rest uniform."""
    probs = np.full((*labels.shape, VOCAB), (1 - right) / (VOCAB - 1))
    np.put_along_axis(probs, labels[..., None].astype(np.int64), right, axis=-1)
    np.save(path, np.log(probs).astype(np.float32))


def test_grader_scores_the_run_time_only_when_the_loss_reaches_the_target(smoke_task, tmp_path):
    labels = np.load(smoke_task.private_dir / "val_labels.npy")
    target = json.loads((smoke_task.private_dir / "target.json").read_text())["target_loss"]
    good, bad = tmp_path / "good.npy", tmp_path / "bad.npy"
    write_log_probs(good, labels, right=np.exp(-target) * 1.1)
    write_log_probs(bad, labels, right=np.exp(-target) * 0.9)
    assert grade(smoke_task, good, "val", exec_time=12.5)["score"] == 12.5
    assert "did not reach the target" in grade(smoke_task, bad, "val", exec_time=1.0)["error"]
    assert "wall time is unknown" in grade(smoke_task, good, "val")["error"]
    np.save(tmp_path / "zeros.npy", np.zeros((*labels.shape, VOCAB), np.float32))
    assert "not normalised" in grade(smoke_task, tmp_path / "zeros.npy", "val", 1.0)["error"]


def test_research_run_on_a_speedrun_task_end_to_end(smoke_task, tasks_dir, tmp_path):
    overrides = ["task=speedrun_smoke_0_description", "search.num_drafts=1", "budget.steps=2"]
    metrics = research(research_cfg(tasks_dir, overrides), tmp_path)
    assert metrics["nodes"] == 2 and metrics["metric"] == "time_to_target"
    assert metrics["baseline_val_score"] == smoke_task.spec.baseline_score
    records = [json.loads(line) for line in (tmp_path / "journal.jsonl").read_text().splitlines()]
    executions = [r for r in records if r["kind"] == "execution"]
    for execution in executions:
        score = execution["metrics"]["val_score"]
        assert (score is not None and score > 0) or execution["error"], execution["error"]
    if metrics["best_val_score"] is not None:  # a solution reached the target: timed on test too
        assert metrics["test_score"] is not None or "target" in metrics["test_error"]
        info = json.loads((smoke_task.root / "speedrun.json").read_text())
        ordered = info["t_record"] > info["t_next"]
        expected = task_fsr(smoke_task, metrics["best_val_score"]) if ordered else None
        assert metrics["val_fsr"] == (pytest.approx(expected) if ordered else None)
    else:
        assert metrics["val_fsr"] is None


@pytest.mark.parametrize("failure", ["timeout", "oom", "error"])
def test_programmatic_operators_edit_and_debug_a_record(smoke_task: Task, failure: str):
    """Improve moves the record's optimiser settings; debug keeps the GPT script whatever failed."""
    operators, rng = ProgrammaticOperators(edits=3), np.random.default_rng(0)
    code = record_code(2)
    parent = Parent(id=0, payload={"code": code, "plan": ""}, score=None, is_buggy=False)
    improved = operators.improve(smoke_task, parent, rng)
    changed = read_config(improved.code)
    assert changed["model"] == "gpt" and changed["features"] == []
    assert changed != record_config(2) and "class Muon" in improved.code
    draft = operators.draft(smoke_task, rng)  # the task's record with random settings
    assert write_config(draft.code, record_config(0)) == smoke_task.starter.read_text()
    info = {"error": "failed", "timed_out": failure == "timeout", "stderr": "",
            "exit_code": -9 if failure == "oom" else 1}  # fmt: skip
    buggy = Parent(id=1, payload={"code": code, "plan": ""}, score=None, is_buggy=True, info=info)
    fixed = operators.debug(smoke_task, buggy, rng)
    assert read_config(fixed.code)["model"] == "gpt" and failure in fixed.plan
    compile(fixed.code, "fixed", "exec")
