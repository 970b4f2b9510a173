"""The leaderboard ranks agents across tasks (SCO, Elo, MLGym's AUP) from research run folders."""

import json
import math
import subprocess
import sys

import pytest
import yaml

from research_agent.aup import aup
from research_agent.leaderboard import leaderboard, task_votes

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


def test_leaderboard_entry_point_over_real_research_runs(tmp_path):
    for policy in ("greedy", "evolutionary"):
        folder = tmp_path / policy
        cmd = [sys.executable, "-m", "research_agent.run", "task=wine", f"search={policy}",
               "budget.steps=2", "run.progress=false", f"hydra.run.dir={folder}"]  # fmt: skip
        subprocess.run(cmd, check=True, capture_output=True, timeout=300)
    out = tmp_path / "board"
    cmd = [sys.executable, "-m", "research_agent.leaderboard", f"runs=[{tmp_path}]",
           f"hydra.run.dir={out}"]  # fmt: skip
    subprocess.run(cmd, check=True, capture_output=True, timeout=120)
    board = json.loads((out / "leaderboard.json").read_text())
    assert board["runs"] == 2 and board["tasks"] == ["wine"]
    assert {row["agent"] for row in board["agents"]} == {
        "greedy/programmatic",
        "evolutionary/programmatic",
    }
    assert "| rank | agent |" in (out / "leaderboard.md").read_text()
