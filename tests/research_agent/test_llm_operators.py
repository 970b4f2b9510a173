"""The llm operator backend: code extraction, memory variants, prompts, and a real model."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from planning.domain import Parent
from research_agent.journal import Journal
from research_agent.operators import LLMOperators, OperatorContext, make_operators
from research_agent.operators.code_extraction import CodeExtractionError, extract_code, plan_of
from research_agent.operators.memory import SearchMemory
from research_agent.run import research
from research_agent.tasks import Task
from tests.research_agent.test_search import research_cfg
from worldmodels.language.embedded import EmbeddedModel


@pytest.fixture(scope="module")
def model() -> EmbeddedModel:
    return EmbeddedModel(device="cpu")


def test_the_longest_fenced_block_is_extracted_and_parsed():
    answer = (
        "Plan: use a forest.\n```python\nx = 1\n```\nand\n```python\nimport os\nprint(os.sep)\n```"
    )
    assert extract_code(answer) == "import os\nprint(os.sep)\n"
    assert plan_of(answer) == "Plan: use a forest."
    assert extract_code("import math\nprint(math.pi)") == "import math\nprint(math.pi)\n"
    assert extract_code("```py\ny = 2\n") == "y = 2\n"  # an unterminated block still counts


@pytest.mark.parametrize(
    ("answer", "problem"),
    [
        ("", "empty"),
        ("```python\ndef f(:\n```", "syntax error in the code block, line 1"),
        ("I would train a random forest.", "has no ```python block"),
        ("```python\n'just a docstring'\n```", "no statement"),
    ],
)
def test_unusable_answers_name_their_problem(answer: str, problem: str):
    with pytest.raises(CodeExtractionError, match=problem):
        extract_code(answer)


def _execution(key: str, parents: list[int], plan: str, score: float | None) -> dict:
    return {
        "kind": "execution",
        "key": key,
        "parents": parents,
        "operator": "improve" if parents else "draft",
        "plan": plan,
        "metrics": {"val_score": score},
        "is_buggy": score is None,
        "analysis": f"analysis of {plan}",
    }


@pytest.fixture
def journal(tmp_path: Path) -> Journal:
    """Drafts 0 and 1; 2 and 3 improve 0; 4 improves 2 (so 4's ancestors are 2 and 0)."""
    journal = Journal(tmp_path / "journal.jsonl")
    tree = {0: [], 1: [], 2: [0], 3: [0], 4: [2]}
    for node, parents in tree.items():
        journal.append(_execution(f"k{node}", parents, f"plan {node}", 0.5 + node / 10))
        journal.append({"kind": "node", "id": node, "key": f"k{node}"})
    return journal


def test_memory_variants_recall_siblings_and_ancestors(journal: Journal):
    memory = SearchMemory(journal, size=5)
    plans = lambda records: [r["plan"] for r in records]  # noqa: E731
    assert memory.recall("none", 2) == []
    assert plans(memory.recall("sibling", 0)) == ["plan 3", "plan 2"]  # other children of 0
    assert plans(memory.recall("sibling", None)) == ["plan 1", "plan 0"]  # the other drafts
    assert plans(memory.recall("ancestral", 4)) == ["plan 4", "plan 2", "plan 0"]
    assert plans(SearchMemory(journal, size=2).recall("ancestral", 4)) == ["plan 4", "plan 2"]
    with pytest.raises(ValueError, match="valid: none, sibling, ancestral"):
        memory.recall("simple", 0)


def _parent(node: int, code: str, **info) -> Parent:
    return Parent(node, {"code": code, "plan": "p", "key": f"k{node}"}, 0.7, False, info)


def test_prompts_show_the_task_the_parent_and_the_memory(
    wine: Task, journal: Journal, model: EmbeddedModel
):
    ops = LLMOperators(model, memory="ancestral", recall=SearchMemory(journal))
    parent = _parent(4, "print('parent code')", val_score=0.9, analysis="good")
    system, user = ops.render("improve", wine, "ancestral", parent)
    assert "```python" in system["content"]
    text = user["content"]
    assert wine.spec.description in text and "accuracy (higher is better)" in text
    assert "train_X.npy" in text  # the data files
    assert wine.starter.read_text().strip()[:40] in text  # the baseline as the contract
    assert "print('parent code')" in text and "0.9" in text
    assert text.index("plan 4") < text.index("plan 2") < text.index("plan 0")
    failing = _parent(3, "import missing", error="exit code 1: ModuleNotFoundError", stderr="Trace")
    _, debug = ops.render("debug", wine, "ancestral", failing)
    assert "ModuleNotFoundError" in debug["content"] and "Trace" in debug["content"]


def test_a_model_that_writes_no_program_is_asked_again_then_recorded_as_written(
    wine: Task, model: EmbeddedModel
):
    ops = LLMOperators(model, attempts=2, max_tokens=4, temperature=0.0)
    calls = model.usage.calls
    candidate = ops.draft(wine, np.random.default_rng(0))
    assert candidate.plan == "draft: no valid program after 2 attempts"
    assert candidate.code  # what the model wrote: the sandbox will record it as buggy
    assert model.usage.calls == calls + 2


def test_the_llm_backend_needs_a_language_model():
    with pytest.raises(ValueError, match="add llm=embedded"):
        make_operators("llm", OperatorContext(journal=None, llm=None))
    with pytest.raises(ValueError, match="unknown memory variant 'both'"):
        LLMOperators(model=None, memory="both")  # type: ignore[arg-type]


@pytest.mark.slow  # about 30 s alone on 2 cores: loading the model and writing 160 tokens
def test_a_research_run_with_the_embedded_model_writes_and_runs_its_programs(
    tasks_dir: Path, wine: Task, tmp_path: Path
):
    overrides = ["task=wine", "budget.steps=1", "operators=llm", "llm=embedded",
                 "operators.max_tokens=160", "operators.attempts=1",
                 "operators.analysis_tokens=24", "sandbox.time_limit_s=10"]  # fmt: skip
    metrics = research(research_cfg(tasks_dir, overrides), tmp_path)
    assert metrics["nodes"] == 1
    (record,) = Journal(tmp_path / "journal.jsonl").executions().values()
    assert record["operator"] == "draft" and record["plan"].startswith("draft: ")
    assert record["code"] and record["code"] != wine.starter.read_text()
    assert record["analysis"]  # written by the model
    assert record["is_buggy"] == (record["metrics"]["val_score"] is None)
    assert json.loads((tmp_path / "metrics.json").read_text())["nodes"] == 1
