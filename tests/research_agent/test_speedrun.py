"""Speedrun reproduction tasks: the record chain, the FSR metric, the grader and a real run."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import yaml

from planning.domain import Parent
from research_agent.execution.execute import execute
from research_agent.operators import ProgrammaticOperators
from research_agent.run import research
from research_agent.solutions.program import read_config, write_config
from research_agent.tasks import TaskFolder, grade, load_task
from research_agent.tasks.speedrun import CHAIN, fsr, num_records, parse_id, record_code, task_fsr
from research_agent.tasks.speedrun.corpus import VOCAB, build, window_starts
from research_agent.tasks.speedrun.corpus import queries as make_queries
from research_agent.tasks.speedrun.presets import preset
from research_agent.tasks.speedrun.records import Improvement, record_config
from research_agent.tasks.speedrun.tasks import LAYOUT, prepare_speedrun, task_spec, write_folder
from tests.research_agent.helpers import research_cfg


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
    corpus = build(20_000, 4, 8, 16)
    assert corpus.train.shape == (20_000,) and corpus.val.shape == (4, 17)
    for queries in (corpus.val_queries, corpus.test_queries):
        assert queries.inputs.shape == (8, 16) and queries.labels.shape == (8,)
        assert queries.inputs.dtype == queries.labels.dtype == np.uint8
        assert queries.lengths.min() >= 1 and queries.lengths.max() <= 16
    assert corpus.train.dtype == np.uint8 and corpus.train.max() < VOCAB
    text = bytes(corpus.train).decode("ascii")
    assert "def " in text and "import" in text


def test_query_labels_occur_in_no_input():
    """On a text whose every token is its own position: each label is the token after its
    query's context, and no input holds a label or the text right after one."""
    text, width, rng = np.arange(200_000), 33, np.random.default_rng(0)
    windows = text[window_starts(len(text), 500, width, rng)[:, None] + np.arange(width)]
    queries = make_queries(windows, rng)
    rows = np.arange(len(queries.labels))
    assert set(queries.lengths) == set(range(1, width))  # every context length, 1..seq_len
    assert np.array_equal(queries.labels, queries.inputs[rows, queries.lengths - 1] + 1)
    visible = queries.inputs[np.arange(width - 1) < queries.lengths[:, None]]
    assert not np.any(queries.inputs[np.arange(width - 1) >= queries.lengths[:, None]])
    after_labels = (queries.labels[:, None] + np.arange(width)).ravel()  # a label and what follows
    assert not set(after_labels) & set(visible.tolist())
    with pytest.raises(ValueError, match="fewer than 500 slots"):
        window_starts(500 * 2 * width - 1, 500, width, rng)


@pytest.fixture(scope="module")
def smoke_task(tasks_dir: Path) -> TaskFolder:
    """Task speedrun_smoke_0 with both records timed by a real sandboxed run."""
    return load_task("speedrun_smoke_0_description", tasks_dir, runner=execute)


def test_task_folder_holds_records_hints_and_measured_times(smoke_task: TaskFolder):
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
    per_position = np.zeros((len(labels), 32, VOCAB), np.float32)  # the old, full-sequence layout
    np.save(tmp_path / "per_position.npy", per_position)
    error = grade(smoke_task, tmp_path / "per_position.npy", "val", 1.0)["error"]
    assert f"expected ({len(labels)}, {VOCAB}): one row" in error


READ_AHEAD = """
import os
from pathlib import Path

import numpy as np

DATA, OUT, VOCAB, K = Path(os.environ["DATA_DIR"]), Path(os.environ["OUTPUT_DIR"]), 128, 8


def rows(split):
    \"\"\"The graded contexts of ``split``, whichever layout the task has.\"\"\"
    if (DATA / f"{split}_lengths.npy").exists():  # one query per row: its first lengths[i] tokens
        x, lengths = np.load(DATA / f"{split}_X.npy"), np.load(DATA / f"{split}_lengths.npy")
        return [row[:n].tolist() for row, n in zip(x, lengths)], False
    x = np.load(DATA / "val.npy")[:, :-1] if split == "val" else np.load(DATA / "test_X.npy")
    return [row.tolist() for row in x], True  # every position of full sequences is graded


# every public text that a graded token could be read from: what follows each K-token context
follows = {}
for name in ("val.npy", "val_X.npy", "test_X.npy"):
    if (DATA / name).exists():
        for row in np.load(DATA / name).tolist():
            for t in range(1, len(row)):
                follows.setdefault(tuple(row[max(0, t - K) : t]), row[t])


def guess(context):
    logp = np.full(VOCAB, np.log(0.01 / (VOCAB - 1)), np.float32)
    logp[follows.get(tuple(context[-K:]), 32)] = np.log(0.99)
    return logp


for split in ("val", "test"):
    contexts, every_position = rows(split)
    if every_position:
        out = [[guess(row[: t + 1]) for t in range(len(row))] for row in contexts]
    else:
        out = [guess(context) for context in contexts]
    np.save(OUT / f"{split}_predictions.npy", np.array(out, np.float32))
"""


def test_a_solution_that_reads_ahead_in_its_inputs_scores_nothing(smoke_task, tmp_path):
    """The copy-the-next-token cheat: it trains nothing and puts 0.99 on the token that follows
    each graded context in any public file (the old layout handed it every label that way)."""
    result = execute(smoke_task, READ_AHEAD, tmp_path)
    assert result.exit_code == 0, result.stderr
    assert result.score is None and "did not reach the target" in result.error
    assert result.evaluation.get("loss") is None
    test = grade(smoke_task, tmp_path / "workspace" / "test_predictions.npy", "test", 1.0)
    assert "did not reach the target" in test["error"]


def test_real_records_score_on_both_graded_splits(smoke_task, tmp_path):
    target = json.loads((smoke_task.private_dir / "target.json").read_text())
    result = execute(smoke_task, record_code(num_records() - 1), tmp_path)
    assert result.score is not None and result.score == result.exec_time, result.error
    test = grade(smoke_task, tmp_path / "workspace" / "test_predictions.npy", "test", 1.0)
    assert test["loss"] <= target["target_loss"] + target["slack"]


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
def test_programmatic_operators_edit_and_debug_a_record(smoke_task: TaskFolder, failure: str):
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


@pytest.fixture(scope="module")
def cpu_task(tmp_path_factory: pytest.TempPathFactory) -> TaskFolder:
    """A task folder of the cpu preset (records not timed: the baseline score is a stand-in)."""
    root = tmp_path_factory.mktemp("speedrun_cpu") / "task"
    write_folder(root, preset("cpu"), 2, "none")
    return TaskFolder(root, task_spec("speedrun_2", preset("cpu"), 2, 2.0, 1.0))


@pytest.mark.slow
def test_a_model_that_attends_to_future_positions_scores_nothing(cpu_task, tmp_path):
    """A record whose attention is not causal learns to copy the next input token: its own
    validation check passes within a few dozen steps, but the graded queries hold no next token
    to copy. (On the smoke preset, whose target a model of byte frequencies alone reaches, it
    would score as a weak model, honestly.)"""
    code = record_code(0)
    assert code.count("is_causal=True") == 1
    result = execute(cpu_task, code.replace("is_causal=True", "is_causal=False"), tmp_path)
    assert result.exit_code == 0, result.stderr
    assert result.score is None and "did not reach the target" in result.error
    test = grade(cpu_task, tmp_path / "workspace" / "test_predictions.npy", "test", 1.0)
    assert "did not reach the target" in test["error"]


@pytest.mark.slow
def test_real_records_score_on_the_cpu_preset(cpu_task, tmp_path):
    """The fastest record reaches the target on both graded splits of the cpu preset."""
    target = json.loads((cpu_task.private_dir / "target.json").read_text())
    result = execute(cpu_task, record_code(num_records() - 1), tmp_path)
    assert result.score is not None and result.score == result.exec_time, result.error
    test = grade(cpu_task, tmp_path / "workspace" / "test_predictions.npy", "test", 1.0)
    assert test["loss"] <= target["target_loss"] + target["slack"]


def test_a_task_folder_of_the_old_layout_is_written_anew(tmp_path):
    """A cached folder graded on full sequences (layout 1) must not survive an upgrade."""
    stale = tmp_path / "speedrun_smoke_0"
    (stale / "public").mkdir(parents=True)
    np.save(stale / "public" / "val.npy", np.zeros((4, 33), np.uint8))
    (stale / "speedrun.json").write_text(json.dumps({"t_record": 2.0, "t_next": 1.0}))
    old_spec = {"id": "x", "description": "", "kind": "language_modeling", "metric": "time"}
    (stale / "task.yaml").write_text(yaml.safe_dump({**old_spec, "direction": "minimize"}))
    task = prepare_speedrun("speedrun_smoke_0", tmp_path, timer=lambda task, code: 2.0)
    assert json.loads((task.root / "speedrun.json").read_text())["layout"] == LAYOUT
    assert (task.public_dir / "val_lengths.npy").is_file() and task.spec.id == "speedrun_smoke_0"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["speedrun_smoke_0"]
    assert prepare_speedrun("speedrun_smoke_0", tmp_path, timer=None).root == task.root  # cached
