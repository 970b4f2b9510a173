"""The leaderboard ranks agents across tasks (SCO, Elo, MLGym's AUP) from research run folders."""

import json
import math
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import yaml

from research_agent.leaderboard import RUN_FILES, leaderboard, load_runs, task_votes
from research_agent.operators import BACKENDS, ProgrammaticOperators, ProposedSolution
from research_agent.reporting.aup import aup
from research_agent.run import research
from research_agent.tasks import TaskFolder
from tests.research_agent.helpers import research_cfg

FIXTURES = Path(__file__).parent / "data" / "leaderboard"

# task -> (direction, baseline val, {agent: score})
RESULTS = {
    "wine": ("maximize", 0.5, {"mcts": 0.9, "greedy": 0.8, "evolutionary": 0.4}),
    "digits": ("maximize", 0.6, {"mcts": 0.95, "greedy": 0.97, "evolutionary": 0.7}),
    "diabetes": ("minimize", 60.0, {"mcts": 50.0, "greedy": 55.0, "evolutionary": 58.0}),
}


def write_runs(root):
    for task, (direction, baseline, scores) in RESULTS.items():
        for agent, score in scores.items():
            folder = root / f"{task}-{agent}"
            folder.mkdir(parents=True)
            metrics = {"task": task, "policy": agent, "direction": direction,
                       "test_score": score, "best_val_score": score,
                       "baseline_val_score": baseline}  # fmt: skip
            (folder / "metrics.json").write_text(json.dumps(metrics))
            config = {"task": task, "operators": {"backend": "programmatic"}}
            (folder / "config.yaml").write_text(yaml.safe_dump(config))
            (folder / "journal.jsonl").write_text("")


def test_agents_are_ranked_by_soft_condorcet_with_elo_and_aup(tmp_path):
    write_runs(tmp_path)
    cfg = {"runs": [str(tmp_path)], "method": "sco", "temperature": 1.0, "iterations": 1000}
    board = leaderboard(cfg)
    order = [row["agent"] for row in board["agents"]]
    # mcts wins 2 of 3 tasks and beats evolutionary everywhere; evolutionary loses everywhere
    assert order == ["mcts/programmatic", "greedy/programmatic", "evolutionary/programmatic"]
    elo = {row["agent"]: row["elo"] for row in board["agents"]}
    assert elo["mcts/programmatic"] > elo["greedy/programmatic"] > elo["evolutionary/programmatic"]
    # evolutionary is infeasible on wine (below the baseline), so it has the smallest AUP
    aups = {row["agent"]: row["aup_val"] for row in board["agents"]}
    assert min(aups, key=aups.get) == "evolutionary/programmatic"
    with pytest.raises(ValueError, match="sco, elo, aup"):
        leaderboard({**cfg, "method": "borda"})
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="no research runs"):
        leaderboard({**cfg, "runs": [str(tmp_path / "empty")]})
    with pytest.raises(FileNotFoundError, match="missing"):
        leaderboard({**cfg, "runs": [str(tmp_path / "missing")]})


def test_aup_matches_mlgym_definition_on_a_hand_computed_task():
    # ratios to the best (0.9): A 1, B 0.9/0.8, baseline 0.9/0.5; C is infeasible (below the
    # baseline) and gets the worst feasible ratio times 1.05; max tau = 0.3
    scores = {"t": {"A": 0.9, "B": 0.8, "C": 0.4, "baseline": 0.5}}
    result = aup(scores, {"t": True})
    assert result["A"] == pytest.approx(0.3, abs=1e-3)
    assert result["B"] == pytest.approx(0.3 - math.log10(0.9 / 0.8), abs=1e-3)
    assert result["baseline"] == pytest.approx(0.3 - math.log10(1.8), abs=1e-3)
    assert result["C"] == pytest.approx(0.3 - math.log10(1.8 * 1.05), abs=1e-3)


def test_votes_keep_ties_and_put_missing_scores_last():
    votes = task_votes({"t": {"a": 1.0, "b": 1.0, "c": 0.5, "d": None}}, {"t": True})
    assert votes == [(1.0, [{"a", "b"}, "c", "d"])]


def test_leaderboard_entry_point_over_real_research_runs(search_run, tmp_path):
    """The entry point over two research runs of the search tests (made by research())."""
    runs = ",".join(str(search_run(policy)[0]) for policy in ("greedy", "evolutionary"))
    out = tmp_path / "board"
    cmd = [sys.executable, "-m", "research_agent.leaderboard", f"runs=[{runs}]",
           f"hydra.run.dir={out}"]  # fmt: skip
    subprocess.run(cmd, check=True, capture_output=True, timeout=120)
    board = json.loads((out / "leaderboard.json").read_text())
    assert board["runs"] == 2 and board["tasks"] == ["wine"]
    assert {row["agent"] for row in board["agents"]} == {
        "greedy/programmatic",
        "evolutionary/programmatic",
    }
    assert "| rank | agent |" in (out / "leaderboard.md").read_text()


# A solution that scores like any other and also writes, into its workspace, the files of a
# research run that beats everything (the folder itself and one nested deeper).
FAKE_RUN = """
import json, os
for folder in (".", "deep/run"):
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "metrics.json"), "w") as f:
        json.dump({"task": "wine", "policy": "cheat", "direction": "maximize", "medal": "gold",
                   "test_score": 1e9, "best_val_score": 1e9, "baseline_val_score": 0.0}, f)
    with open(os.path.join(folder, "config.yaml"), "w") as f:
        f.write("task: wine\\noperators:\\n  backend: cheat\\n")
    open(os.path.join(folder, "journal.jsonl"), "w").close()
"""


@dataclass
class FakeRunOperators(ProgrammaticOperators):
    """Programmatic operators whose drafts also write a fake research run into the workspace."""

    def draft(self, task: TaskFolder, rng: np.random.Generator) -> ProposedSolution:
        real = super().draft(task, rng)
        return ProposedSolution(real.code + FAKE_RUN, real.plan + " (and writes a fake run)")


def test_a_run_written_by_a_solution_into_its_workspace_is_never_ranked(
    wine: TaskFolder, tasks_dir: Path, tmp_path: Path, monkeypatch
):
    monkeypatch.setitem(BACKENDS, "fake_run", lambda context, **kw: FakeRunOperators(**kw))
    overrides = ["task=wine", "budget.steps=1", "start_from_baseline=false", "selection.folds=1",
                 "operators.backend=fake_run"]  # fmt: skip
    runs = tmp_path / "runs"
    metrics = research(research_cfg(tasks_dir, overrides), runs / "real")  # the real sandbox
    assert metrics["best_val_score"] is not None  # the solution ran and scored
    planted = sorted(runs.glob("real/nodes/*/workspace/**/metrics.json"))
    assert len(planted) == 2  # the attack took place: two fake runs in the workspace
    out = tmp_path / "board"
    cmd = [sys.executable, "-m", "research_agent.leaderboard", f"runs=[{runs}]", "bootstrap=0",
           f"hydra.run.dir={out}"]  # fmt: skip
    subprocess.run(cmd, check=True, capture_output=True, timeout=120)
    board = json.loads((out / "leaderboard.json").read_text())
    assert board["runs"] == 1 and [row["agent"] for row in board["agents"]] == ["greedy/fake_run"]
    assert board["agents"][0]["test_scores"]["wine"] == metrics["test_score"] < 1e9
    with pytest.raises(ValueError, match="node workspaces"):  # nor when named directly
        load_runs([str(planted[0].parent)])


def test_run_files_that_are_links_or_not_regular_or_too_large_leave_the_run_out(tmp_path: Path):
    shutil.copytree(FIXTURES, tmp_path / "runs")
    folders = sorted((tmp_path / "runs").iterdir())
    outside = tmp_path / "secret.json"
    outside.write_text(json.dumps({"task": "wine", "policy": "cheat", "test_score": 1e9}))
    (folders[0] / "metrics.json").unlink()
    (folders[0] / "metrics.json").symlink_to(outside)  # a link to a file elsewhere
    (folders[1] / "journal.jsonl").unlink()
    os.mkfifo(folders[1] / "journal.jsonl")  # a FIFO would block a plain open
    with (folders[2] / "journal.jsonl").open("ab") as f:
        f.truncate(RUN_FILES["journal.jsonl"] + 1)  # over the cap
    (folders[3] / "config.yaml").rename(folders[3] / "saved.yaml")
    (folders[3] / "config.yaml").symlink_to("saved.yaml")  # a link, even one inside the run
    (tmp_path / "runs" / "linked").symlink_to(FIXTURES, target_is_directory=True)  # not walked
    skipped: list[dict[str, str]] = []
    runs = load_runs([str(tmp_path / "runs")], skipped)
    assert len(runs) == len(folders) - 4
    assert {Path(s["folder"]).name for s in skipped} == {f.name for f in folders[:4]}
    reasons = " ".join(s["reason"] for s in skipped)
    assert "not a regular file" in reasons and "larger than" in reasons
    assert all(r["test"] != 1e9 for r in runs)
    board = leaderboard({"runs": [str(tmp_path / "runs")], "method": "sco", "temperature": 1.0,
                         "iterations": 10, "bootstrap": 0})  # fmt: skip
    assert len(board["skipped"]) == 4 and board["runs"] == len(folders) - 4
