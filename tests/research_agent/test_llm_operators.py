"""The llm operator backend: code extraction, memory variants, prompts, the config mode, the
call log, and a real model."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import jsonschema
import numpy as np
import pytest
from omegaconf import OmegaConf

from planning.domain import Parent
from research_agent.execution.execute import execute
from research_agent.journal import Journal
from research_agent.operators import (
    CALLS_FILE,
    ConfigEditOperators,
    LLMOperators,
    OperatorContext,
    make_operators,
)
from research_agent.operators.call_log import LoggedModel
from research_agent.operators.code_extraction import CodeExtractionError, extract_code, plan_of
from research_agent.operators.config_edit import config_of, config_schema
from research_agent.operators.memory import SearchMemory
from research_agent.run import research
from research_agent.solutions.program import read_config
from research_agent.solutions.space import families_for, random_config
from research_agent.tasks import TaskFolder
from tests.research_agent.helpers import executions_per_key, research_cfg
from worldmodels.language.base import LanguageModel
from worldmodels.language.config import (
    BF16_CPU_FLAGS,
    EmbeddedLLMConfig,
    OpenAILLMConfig,
    fastest_dtype,
)
from worldmodels.language.embedded import EmbeddedModel
from worldmodels.language.types import Completion, EndpointUnreachableError


@pytest.fixture
def model(embedded_model: EmbeddedModel) -> EmbeddedModel:
    return embedded_model


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
    wine: TaskFolder, journal: Journal, model: EmbeddedModel
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
    wine: TaskFolder, model: EmbeddedModel
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
    tasks_dir: Path, wine: TaskFolder, tmp_path: Path
):
    overrides = ["task=wine", "budget.steps=1", "operators=llm", "llm=embedded",
                 "llm.capability=program", "start_from_baseline=false",
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


def _shown(config: dict) -> dict:
    """A solution config as the model writes it (settings of the space only)."""
    choices = {n for f in families_for("classification") for n in f.choices}
    params = {k: v for k, v in config["params"].items() if k in choices}
    return {"model": config["model"], "params": params, "features": config["features"]}


def test_the_config_schema_admits_the_configs_of_the_space_and_nothing_else(wine: TaskFolder):
    validator = jsonschema.Draft202012Validator(config_schema(wine))
    rng = np.random.default_rng(0)
    for _ in range(100):
        config = random_config("classification", False, rng)
        assert validator.is_valid(_shown(config)), config
        assert config_of(_shown(config)) == config
    assert config_of({"model": "linear", "params": {"C": 1}, "features": ["standardize"]}) == {
        "model": "linear", "params": {"C": 1.0}, "features": ["standardize"]}  # fmt: skip
    bad = [
        {"model": "linear", "params": {"C": 0.5}, "features": []},  # not a choice
        {"model": "linear", "params": {"C": 1.0}, "features": ["scale"]},  # no such step
        {"model": "linear", "params": {"C": 1.0, "n_estimators": 50}, "features": []},
        {
            "model": "gpt",
            "params": {"lr": 0.001, "batch_size": 8, "weight_decay": 0.0},
            "features": [],
        },  # fmt: skip  (not a family of a classification task)
        {"model": "linear", "params": {}, "features": []},  # a setting left out
    ]
    for value in bad:
        assert not validator.is_valid(value), value


def test_the_capability_of_the_llm_config_picks_the_mode():
    assert EmbeddedLLMConfig.capability == "config" and OpenAILLMConfig.capability == "program"
    assert EmbeddedLLMConfig.dtype == "auto"  # the faster one measured on this machine:
    cpu_bf16 = any(f in Path("/proc/cpuinfo").read_text().split() for f in BF16_CPU_FLAGS)
    assert fastest_dtype("cpu") == ("bfloat16" if cpu_bf16 else "float32")
    endpoint = OmegaConf.structured(OpenAILLMConfig(base_url="http://127.0.0.1:9/v1", api_key="k"))
    assert isinstance(make_operators("llm", OperatorContext(None, endpoint)), LLMOperators)
    endpoint.capability = "config"
    ops = make_operators("llm", OperatorContext(None, endpoint))
    assert isinstance(ops, ConfigEditOperators)
    endpoint.capability = "code"
    with pytest.raises(ValueError, match=r"llm.capability='code' is not one of \['config'"):
        make_operators("llm", OperatorContext(None, endpoint))


def test_a_failed_call_is_logged_with_its_error(tmp_path: Path):
    endpoint = OmegaConf.structured(
        OpenAILLMConfig(base_url="http://127.0.0.1:9/v1", api_key="k", max_retries=0)
    )
    ops = make_operators("llm", OperatorContext(Journal(tmp_path / "journal.jsonl"), endpoint))
    with pytest.raises(EndpointUnreachableError):
        ops.model.chat([{"role": "user", "content": "hi"}])
    (call,) = [json.loads(line) for line in (tmp_path / CALLS_FILE).read_text().splitlines()]
    assert call["messages"] == [{"role": "user", "content": "hi"}]
    assert "EndpointUnreachableError" in call["error"] and "response" not in call


def test_the_config_mode_chooses_configs_that_validate_render_and_run(
    wine: TaskFolder, model: EmbeddedModel, tmp_path: Path
):
    """The real embedded model, guided by the schema: a draft and an improve of the baseline
    are configs of the space, their programs run in the sandbox, each call is in the log."""
    calls = tmp_path / CALLS_FILE
    ops = ConfigEditOperators(LoggedModel(model, calls), max_tokens=160)
    validator = jsonschema.Draft202012Validator(config_schema(wine))
    rng = np.random.default_rng(0)
    baseline = _parent(0, wine.starter.read_text(), val_score=wine.spec.baseline_score)
    plans = {}
    for operator, candidate in [
        ("draft", ops.draft(wine, rng)),
        ("improve", ops.improve(wine, baseline, rng)),
    ]:
        plans[operator] = candidate.plan
        assert candidate.plan.startswith(operator) and "the model chose" in candidate.plan
        assert validator.is_valid(_shown(read_config(candidate.code)))
        result = execute(wine, candidate.code, tmp_path / operator)
        assert not result.is_buggy, result.error
        assert result.score is not None
    logged = [json.loads(line) for line in calls.read_text().splitlines()]
    assert [c["operator"] for c in logged] == ["draft", "improve"]
    for call in logged:
        assert call["guided_json"] and call["completion_tokens"] > 0 and call["seconds"] > 0
        assert wine.spec.description in call["messages"][-1]["content"]
        assert validator.is_valid(json.loads(call["response"]))
        chosen = json.dumps(_shown(config_of(json.loads(call["response"]))))  # its own choice
        assert f"the model chose {chosen}" in plans[call["operator"]]
    assert "scored accuracy" in logged[1]["messages"][-1]["content"]  # the parent is shown


def test_a_sigterm_stops_the_entry_point_with_its_report_and_metrics(
    wine: TaskFolder, tasks_dir: Path, tmp_path: Path
):
    """A run told to stop (SIGTERM) after a few nodes finishes the report and metrics.json of
    the nodes done and exits 0."""
    run_dir = tmp_path / "terminated"
    cmd = [sys.executable, "-m", "research_agent.run", "task=wine", "budget.steps=500",
           f"tasks_dir={tasks_dir}", "run.progress=false", f"hydra.run.dir={run_dir}"]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while len(executions_per_key(run_dir)) < 3 and time.monotonic() < deadline:
        assert proc.poll() is None, proc.stderr.read().decode()[-2000:]  # type: ignore[union-attr]
        time.sleep(0.1)
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 0, stderr.decode()[-2000:]
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["terminated"] is True
    assert 3 <= metrics["nodes"] < 500 and metrics["best_val_score"] is not None
    assert metrics["nodes"] == len(executions_per_key(run_dir))
    assert (run_dir / "report.md").is_file() and (run_dir / "best_solution.py").is_file()


class _ScriptedModel(LanguageModel):
    """Replies with ``replies`` in turn and keeps each request (a backend with no guidance)."""

    def __init__(self, replies: list[str]) -> None:
        super().__init__("scripted")
        self.replies, self.requests = list(replies), []

    def _complete(self, request):
        self.requests.append(request)
        return Completion(text=self.replies.pop(0), model="scripted", finish_reason="stop")


def test_the_config_mode_retries_an_invalid_reply_with_its_problem(wine: TaskFolder):
    """The config mode asks again through complete_json: the invalid reply and why it is
    invalid are shown, no schema system message is added (the prompt describes the space)."""
    chosen = _shown(random_config("classification", False, np.random.default_rng(1)))
    model = _ScriptedModel(["not json", json.dumps(chosen)])
    ops = ConfigEditOperators(model, attempts=2)
    candidate = ops.draft(wine, np.random.default_rng(0))
    assert read_config(candidate.code)["model"] == chosen["model"]
    first, second = (request.messages for request in model.requests)
    assert all(message["role"] != "system" for message in first)
    assert second[-2]["content"] == "not json"
    assert "That is not valid: the reply holds no JSON object or array" in second[-1]["content"]
    assert model.requests[0].json_schema == config_schema(wine)

    failing = ConfigEditOperators(_ScriptedModel(["no", "no"]), attempts=2)
    fallback = failing.draft(wine, np.random.default_rng(0))
    assert "no config from the model" in fallback.plan and "2 attempts" in fallback.plan
