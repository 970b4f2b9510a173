from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from omegaconf import OmegaConf

from planning.domain import ExpansionJob, Parent
from research_agent.journal import Journal
from research_agent.operators import ProgrammaticOperators
from research_agent.research_domain import ResearchDomain, run_time
from research_agent.run import build_domain
from research_agent.search import STATE_FILE, make_policy, run_search
from research_agent.solutions.program import read_config, render
from research_agent.solutions.space import default_config, families_for
from research_agent.tasks import TaskFolder
from tests.research_agent.helpers import FAST, POLICY_SETTINGS, executions_per_key, research_cfg


@pytest.mark.parametrize("policy", sorted(POLICY_SETTINGS))
def test_search_runs_end_to_end(policy: str, search_run):
    run_dir, metrics = search_run(policy)
    assert metrics["nodes"] == 6 and metrics["policy"] == policy
    assert metrics["best_val_score"] >= metrics["baseline_val_score"]  # node 0 is the baseline
    assert 0 < metrics["test_score"] <= 1 and metrics["test_error"] is None
    gain = metrics["val_gain_over_baseline"]
    assert gain["gain"] == pytest.approx(metrics["best_val_score"] - metrics["baseline_val_score"])
    report = (run_dir / "report.md").read_text()
    assert "Validation gain over the baseline" in report
    selection = metrics["selection"]  # the shortlist's 3-fold scores chose the solution
    assert selection["rule"] == "cross_validation" and len(selection["candidates"]) == 2
    best = max(selection["candidates"], key=lambda c: c["cv_score"])
    assert metrics["best_node"] == selection["chosen"] == best["node"]
    assert "3-fold cross-validation" in report
    for name in ("report.md", "score_vs_time.png", "tree.json", "best_solution.py", STATE_FILE):
        assert (run_dir / name).is_file(), name
    nodes = Journal(run_dir / "journal.jsonl").nodes()
    assert [n["id"] for n in nodes] == list(range(6))
    assert {"code", "plan", "parents", "operator", "metrics", "exec_time", "exit_code",
            "is_buggy", "analysis", "files"} <= set(nodes[0])  # fmt: skip
    assert nodes[0]["key"] == "baseline" and nodes[0]["operator"] == "draft"
    assert nodes[0]["metrics"]["val_score"] == metrics["baseline_val_score"]
    if policy == "evolutionary":
        assert any(n["operator"] == "crossover" for n in nodes)
    assert json.loads((run_dir / "metrics.json").read_text())["nodes"] == 6


def test_journal_nodes_missing_from_the_checkpoint_are_replayed(
    wine: TaskFolder, tasks_dir, tmp_path
):
    cfg = research_cfg(tasks_dir, ["task=wine", "search.num_drafts=2"])
    settings = OmegaConf.to_container(cfg.search, resolve=True)
    snapshot = tmp_path / "after_step_3.pt"

    def keep_third(tree, nodes):
        if len(tree) == 3:
            shutil.copy(tmp_path / STATE_FILE, snapshot)

    first = run_search(
        make_policy("greedy", settings),
        build_domain(cfg, wine, tmp_path),
        tmp_path,
        budget_steps=5,
        budget_seconds=None,
        on_step=keep_third,
        checkpoint_seconds=0,
    )
    shutil.copy(snapshot, tmp_path / STATE_FILE)  # as if killed before the last checkpoints
    resumed = run_search(
        make_policy(settings["name"], settings),
        build_domain(cfg, wine, tmp_path),
        tmp_path,
        budget_steps=5,
        budget_seconds=None,
        resume=True,
    )
    assert resumed.replayed == 2
    executed_before = sum(run_time(n.info) for n in first.tree.nodes[:3])
    assert resumed.executed_seconds == pytest.approx(executed_before)
    assert [n.payload for n in resumed.tree.nodes] == [n.payload for n in first.tree.nodes]
    assert set(executions_per_key(tmp_path).values()) == {1}
    with pytest.raises(FileExistsError, match="resume=true"):
        run_search(
            make_policy("greedy", settings), build_domain(cfg, wine, tmp_path), tmp_path, 5, None
        )


def test_the_baseline_first_draft_is_replayed_on_resume(wine: TaskFolder, tasks_dir, tmp_path):
    cfg = research_cfg(tasks_dir, ["task=wine", "search.num_drafts=2"])
    settings = OmegaConf.to_container(cfg.search, resolve=True)

    def search(steps: int, resume: bool):
        domain = build_domain(cfg, wine, tmp_path)
        policy = make_policy("greedy", settings)
        return run_search(policy, domain, tmp_path, steps, None, resume=resume,
                          start_from_baseline=True)  # fmt: skip

    first = search(1, False)
    assert len(first.tree) == 1 and first.tree[0].payload["key"] == "baseline"
    (tmp_path / STATE_FILE).unlink()  # as if killed before its checkpoint
    resumed = search(3, True)
    assert resumed.replayed == 1 and len(resumed.tree) == 3
    assert resumed.tree[0].payload == first.tree[0].payload
    assert [n.operator for n in resumed.tree.nodes] == ["draft", "draft", "improve"]
    assert set(executions_per_key(tmp_path).values()) == {1}


def test_run_seed_seeds_the_search(wine: TaskFolder, tasks_dir, tmp_path):
    def search(overrides: list[str], folder: str) -> tuple[int, list[str]]:
        cfg = research_cfg(tasks_dir, ["task=wine", "search.num_drafts=2", *overrides])
        settings = OmegaConf.to_container(cfg.search, resolve=True)
        domain = build_domain(cfg, wine, tmp_path / folder)
        outcome = run_search(make_policy("greedy", settings), domain, tmp_path / folder, 2, None)
        return settings["seed"], [n.payload["code"] for n in outcome.tree.nodes]

    seed0, first = search([], "a")
    seed1, other = search(["run.seed=1"], "b")
    again = search(["run.seed=1"], "c")
    assert (seed0, seed1) == (0, 1) and again == (1, other)  # one seed twice: the same search
    assert first[0] != other[0] and first[1] != other[1]  # two seeds: other solutions
    explicit = research_cfg(tasks_dir, ["run.seed=1", "search=mcts", "search.seed=7"])
    assert OmegaConf.to_container(explicit.search, resolve=True)["seed"] == 7


def test_torn_journal_line_is_skipped_and_terminated(tmp_path: Path):
    journal = Journal(tmp_path / "j.jsonl")
    journal.append({"kind": "node", "id": 0, "key": "a"})
    with journal.path.open("a") as f:
        f.write('{"kind": "node", "id"')
    journal = Journal(journal.path)
    journal.append({"kind": "node", "id": 1, "key": "b"})
    assert [r["id"] for r in journal.records()] == [0, 1]


def test_journal_reads_see_appends_from_other_writers_but_not_a_line_being_written(
    tmp_path: Path,
):
    reader, writer = Journal(tmp_path / "j.jsonl"), Journal(tmp_path / "j.jsonl")
    writer.append({"kind": "node", "id": 0, "key": "a"})
    assert [r["id"] for r in reader.records()] == [0]
    with writer.path.open("a") as f:  # another process, half-way through its line
        f.write('{"kind": "node", "id": 1, ')
        f.flush()
        assert [r["id"] for r in reader.records()] == [0]
        f.write('"key": "b"}\n')
    assert [r["id"] for r in reader.records()] == [0, 1]
    reader.records()[0]["id"] = 99  # what a caller does to its copy stays with it
    assert [n["id"] for n in reader.nodes()] == []  # no executions: nothing to join
    assert [r["id"] for r in reader.records()] == [0, 1]
    writer.path.write_text('{"kind": "node", "id": 5, "key": "c"}\n')  # replaced by a shorter file
    assert [r["id"] for r in reader.records()] == [5]


def test_a_repeated_proposal_is_drawn_again_and_a_resume_counts_the_journal(
    wine: TaskFolder, tmp_path
):

    def domain(tries: int) -> ResearchDomain:
        journal = Journal(tmp_path / f"journal_{tries}.jsonl")
        return ResearchDomain(
            wine, ProgrammaticOperators(), tmp_path, journal, FAST, novelty_tries=tries
        )

    job = ExpansionJob("draft", (), seed=7)
    novel = domain(8)
    first, second = novel._propose_novel(job), novel._propose_novel(job)
    assert first.code != second.code and "draw 2" in second.plan
    once = domain(1)
    assert once._propose_novel(job).code == first.code
    repeat = once._propose_novel(job)
    assert repeat.code == first.code and "a repeat of a tried solution" in repeat.plan
    resumed = domain(8)
    resumed.resume_from({"draft-0": {"code": first.code}})
    assert resumed._propose_novel(job).code == second.code
    with pytest.raises(ValueError, match="novelty_tries"):
        domain(0)


def test_a_crossover_that_repeats_a_tried_solution_mutates_its_first_parent(
    wine: TaskFolder, tmp_path
):
    code = render(default_config("linear", ["impute"]), "classification")
    twins = tuple(Parent(i, {"code": code, "plan": ""}, 0.9, False, {}) for i in range(2))
    job = ExpansionJob("crossover", twins, seed=3)

    def domain(tries: int) -> ResearchDomain:
        journal = Journal(tmp_path / f"journal_{tries}.jsonl")
        domain = ResearchDomain(
            wine, ProgrammaticOperators(), tmp_path, journal, FAST, novelty_tries=tries
        )
        domain.remember(code)  # the parents' own solution, tried already
        return domain

    child = domain(8)._propose_novel(job)
    assert child.code != code
    assert child.plan.startswith("improve node 0") and "instead of crossover" in child.plan
    assert read_config(child.code)["model"] in {f.name for f in families_for("classification")}
    repeat = domain(1)._propose_novel(job)  # no retries: no fallbacks either
    assert repeat.code == code and "a repeat of a tried solution" in repeat.plan
