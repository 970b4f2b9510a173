from __future__ import annotations

from functools import partial
from itertools import product

import numpy as np
import pytest

from planning.domain import ExpansionJob, Parent
from research_agent.journal import Journal
from research_agent.operators import (
    OperatorContext,
    ProgrammaticOperators,
    diagnose,
    make_operators,
)
from research_agent.operators.programmatic import _describe as describe
from research_agent.research_domain import ResearchDomain
from research_agent.solutions.program import ConfigBlockError, read_config, render, write_config
from research_agent.solutions.space import default_config, families_for
from research_agent.tasks import TaskFolder
from tests.research_agent.helpers import FAST

OPS = ProgrammaticOperators()


def add_node(journal: Journal, node: int, code: str, parents: list[int], **fields) -> None:
    """Journal ``code`` as the run's node ``node`` with ``parents`` (and more ``fields``)."""
    execution = {"kind": "execution", "key": f"k{node}", "parents": parents, "code": code}
    journal.append({**execution, **fields})
    journal.append({"kind": "node", "id": node, "key": f"k{node}"})


def parent(config: dict, node_id: int = 0, **info) -> Parent:
    code = render(config, "classification", image=True)
    return Parent(node_id, {"code": code, "plan": ""}, None, bool(info), info)


def test_config_block_round_trips_and_leaves_the_body_alone():
    code = render(default_config("random_forest"), "classification")
    config = read_config(code)
    config["params"]["n_estimators"] = 200
    edited = write_config(code, config)
    assert read_config(edited)["params"]["n_estimators"] == 200
    body = code.split("KIND =", 1)[1]
    assert edited.split("KIND =", 1)[1] == body
    with pytest.raises(ConfigBlockError):
        read_config("x = 1\n")


def test_drafts_with_a_memory_go_through_the_families_the_earlier_drafts_missed(
    wine: TaskFolder, tmp_path
):
    journal = Journal(tmp_path / "journal.jsonl")
    ops = make_operators("programmatic", OperatorContext(journal))
    families, rng = [], np.random.default_rng(0)
    for node in range(len(families_for("classification")) + 1):
        code = wine.starter.read_text() if node == 0 else ops.draft(wine, rng).code
        families.append(read_config(code)["model"])
        add_node(journal, node, code, [])
    tabular = [f.name for f in families_for("classification")]
    assert sorted(families[: len(tabular)]) == sorted(tabular)  # each family once, then again
    assert families[-1] in tabular
    # without a memory a draft is a uniform draw: the first six drafts repeat a family
    memoryless = [ProgrammaticOperators().draft(wine, rng).code for _ in range(len(tabular))]
    assert len({read_config(code)["model"] for code in memoryless}) < len(tabular)


def test_a_family_any_solution_tried_is_no_longer_forced_on_drafts(wine: TaskFolder, tmp_path):
    """Greedy stops drafting before every family has a draft; the family left out then took
    every later draft (an improve's fallback too) until its ten settings were all tried and
    each draft repeated one: 99 of 135 solutions of a 120 s greedy run on breast_cancer."""
    journal = Journal(tmp_path / "journal.jsonl")
    ops = make_operators("programmatic", OperatorContext(journal))
    add = partial(add_node, journal)
    families = [f.name for f in families_for("classification")]
    baseline = read_config(wine.starter.read_text())["model"]
    left_out = next(name for name in families if name != baseline)
    add(0, wine.starter.read_text(), [])
    drafted = [name for name in families if name not in (baseline, left_out)]
    for node, name in enumerate(drafted, 1):
        add(node, render(default_config(name), "classification"), [])
    rng = np.random.default_rng(0)
    assert {read_config(ops.draft(wine, rng).code)["model"] for _ in range(5)} == {left_out}
    add(len(families), render(default_config(left_out), "classification"), [1])  # an improve
    drafts = [read_config(ops.draft(wine, rng).code)["model"] for _ in range(60)]
    assert set(drafts) == set(families)


def test_once_every_standard_draft_was_tried_drafts_edit_further(wine: TaskFolder, tmp_path):
    """A draft of a tried config is edited further (in the domain, drawn again): the 90
    standard drafts of a classification task were all tried within 120 s on breast_cancer."""
    journal = Journal(tmp_path / "journal.jsonl")
    ops = make_operators("programmatic", OperatorContext(journal))
    standard = [
        {**default_config(f.name), "params": dict(zip(f.choices, values, strict=True))}
        for f in families_for("classification")
        for values in product(*f.choices.values())
    ]
    tried = {render(config, "classification") for config in standard}
    for node, code in enumerate(tried):
        add_node(journal, node, code, [])
    domain = ResearchDomain(wine, ops, tmp_path, journal, FAST)
    domain.resume_from(journal.executions())
    drafts = [domain._propose_novel(ExpansionJob("draft", (), seed)) for seed in range(20)]
    assert not {d.code for d in drafts} & tried
    assert len({d.code for d in drafts}) == len(drafts)
    assert all(d.plan.startswith(f"draft: {describe(read_config(d.code))}") for d in drafts)


def test_an_improve_that_lands_on_a_tried_solution_takes_another_step(wine: TaskFolder, tmp_path):
    journal = Journal(tmp_path / "journal.jsonl")
    ops = make_operators("programmatic", OperatorContext(journal))
    base = parent(default_config("svm"), node_id=0)
    add_node(journal, 0, base.payload["code"], [])
    first = ops.improve(wine, base, np.random.default_rng(5))
    assert len(first.plan.split("; ")) == 1
    add_node(journal, 1, first.code, [0])
    further = ops.improve(wine, base, np.random.default_rng(5))
    assert further.code not in {base.payload["code"], first.code}
    assert further.plan.startswith(first.plan + "; ")  # the same edit, then another
    memoryless = ProgrammaticOperators().improve(wine, base, np.random.default_rng(5))
    assert memoryless.code == first.code  # without a memory nothing counts as tried


def test_draft_and_improve_stay_in_the_config_space(wine: TaskFolder):
    rng = np.random.default_rng(0)
    drafts = [OPS.draft(wine, rng) for _ in range(10)]
    assert len({d.code for d in drafts}) > 5
    child = OPS.improve(wine, Parent(0, drafts[0].as_payload(), 0.9, False), rng)
    before, after = read_config(drafts[0].code), read_config(child.code)
    assert before != after and child.plan.startswith("improve node 0")


def test_drafts_come_with_the_templates_preprocessing(wine: TaskFolder):
    """Drafts of every tabular family impute and standardize (an SVM on raw features scores
    near chance on breast_cancer); the feature steps are left to the improves."""
    rng = np.random.default_rng(0)
    drafts = [read_config(OPS.draft(wine, rng).code) for _ in range(20)]
    assert {d["model"] for d in drafts} == {f.name for f in families_for("classification")}
    assert all(d["features"] == ["impute", "standardize"] for d in drafts)


@pytest.mark.parametrize(
    ("info", "check"),
    [
        ({"error": "timeout", "timed_out": True}, lambda c: c["params"]["epochs"] == 6),
        ({"error": "exit", "stderr": "MemoryError"}, lambda c: c["params"]["batch_size"] == 32),
        ({"error": "exit -9", "exit_code": -9}, lambda c: c["params"]["batch_size"] == 32),
    ],
)
def test_debug_rules_make_costly_solutions_cheaper(wine: TaskFolder, info, check):
    cnn = {"model": "cnn", "params": {"channels": 16, "epochs": 12, "batch_size": 64, "lr": 0.003}}
    child = OPS.debug(wine, parent({**cnn, "features": []}, **info), np.random.default_rng(0))
    assert check(read_config(child.code))


def test_debug_adds_imputation_for_nan_and_repairs_broken_code(wine: TaskFolder):
    rng = np.random.default_rng(0)
    config = default_config("svm", features=["standardize"])
    nan = parent(config, error="exit 1", stderr="ValueError: Input X contains NaN.")
    assert diagnose(nan.info) == "nan"
    assert read_config(OPS.debug(wine, nan, rng).code)["features"] == ["impute", "standardize"]
    broken = Parent(1, {"code": "CONFIG = {", "plan": ""}, None, True, {"error": "exit 1"})
    assert read_config(OPS.debug(wine, broken, rng).code)["model"] == "linear"


def test_crossover_merges_the_parents_config_blocks(wine: TaskFolder):
    a = default_config("random_forest", ["impute"])
    b = {**default_config("random_forest", ["impute", "pca"]), "params": {"n_estimators": 200}}
    children = [
        read_config(OPS.crossover(wine, parent(a), parent(b, 1), np.random.default_rng(s)).code)
        for s in range(8)
    ]
    assert all(c["model"] == "random_forest" and "impute" in c["features"] for c in children)
    assert {c["params"]["n_estimators"] for c in children} == {50, 200}


def test_unknown_backend_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown operators backend"):
        make_operators("gpt")


def record(journal: Journal, node: int, config: dict, score: float, parents: list[int]) -> None:
    code = render(config, "classification")
    add_node(journal, node, code, parents, metrics={"val_score": score}, is_buggy=False)


def test_improves_of_a_stalled_node_switch_family_from_that_familys_best_solution(
    wine: TaskFolder, tmp_path
):
    journal = Journal(tmp_path / "journal.jsonl")
    ops = make_operators("programmatic", OperatorContext(journal))
    best = default_config("linear")
    svm = {**default_config("svm", ["standardize"]), "params": {"C": 10.0, "gamma": 0.1}}
    record(journal, 0, best, 0.9, [])
    record(journal, 1, svm, 0.7, [])
    record(journal, 2, default_config("knn"), 0.5, [])
    record(journal, 3, {**best, "params": {"C": 10.0}}, 0.8, [0])
    record(journal, 4, {**best, "params": {"C": 0.1}}, 0.85, [0])
    top = Parent(0, {"code": render(best, "classification"), "plan": ""}, 0.9, False)
    top.info["val_score"] = 0.9

    def switches(count: int) -> list[dict]:
        rng = np.random.default_rng(0)
        children = [ops.improve(wine, top, rng) for _ in range(count)]
        first_edits = [c.plan.split(": ", 1)[1].split("; ")[0] for c in children]
        return [
            read_config(c.code)
            for c, edit in zip(children, first_edits, strict=True)
            if edit.startswith("model linear ->")
        ]

    # two children that did not beat it: not stalled yet, switches at family_prob (0.15)
    assert 10 <= len(switches(200)) <= 50
    record(journal, 5, {**best, "features": ["impute"]}, 0.88, [0])
    stalled = switches(200)  # three: stalled, switches at stalled_family_prob (0.5)
    assert 80 <= len(stalled) <= 120
    assert ops.improve(wine, top, np.random.default_rng(0)).plan.startswith(
        "improve node 0 (stalled)"
    )
    to_svm = [c for c in stalled if c["model"] == "svm"]
    to_knn = [c for c in stalled if c["model"] == "knn"]
    assert len(to_svm) > len(to_knn) > 0  # the better family is drawn more often
    for child in to_svm:  # node 1's config, one setting moved
        assert child["features"] == ["standardize"]
        moved = [k for k in svm["params"] if child["params"][k] != svm["params"][k]]
        assert len(moved) == 1
