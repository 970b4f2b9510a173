"""The leaderboard on fixed run journals (tests/research_agent/data/leaderboard) matches values
computed by hand: AUP of the best and of the last attempts, SCO, medal rate, normalised score.

The fixture: 3 agents (greedy, mcts: 2 seeds; evolutionary: 1 seed) on wine (accuracy,
baseline 0.80) and diabetes (rmse, baseline 60). Mean over seeds of the best validation
scores: wine g 0.92, m 0.98, e 0.84; diabetes g 56, m 60, e 59. Of the last attempts: wine g
0.88, m 0.96 (its seed 1 ended buggy), e 0.84; diabetes g 60, m 63, e 59. Test scores: wine
g 0.91, m 0.97, e 0.85; diabetes g 55, m 60, e 58.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from research_agent.leaderboard import bootstrap, leaderboard, load_runs

DATA = Path(__file__).parent / "data" / "leaderboard"
AGENTS = ("greedy/programmatic", "mcts/programmatic", "evolutionary/programmatic")
# AUP = Σ_i ρ(τ_i) Δτ over τ_i = i·0.1/499 (max log10 ratio 0.088 rounds up to 0.1), i < 499.
# A task with log10 ratio L adds 0.5 (one of two tasks) at the 499 − ceil(4990·L) grid points
# τ_i ≥ L, so AUP = (0.05 / 499) · Σ_tasks (499 − ceil(4990·L)).
UNIT = 0.05 / 499
# best attempts: wine ratios to 0.98: g 0.98/0.92 (L·4990 = 136.9), e 0.98/0.84 (334.1),
# baseline 0.98/0.80 (439.8); diabetes ratios to 56: m 60/56 (149.5), e 59/56 (113.1),
# baseline 60/56 (149.5)
AUP_BEST = {
    "greedy/programmatic": (499 - 137 + 499) * UNIT,
    "mcts/programmatic": (499 + 499 - 150) * UNIT,
    "evolutionary/programmatic": (499 - 335 + 499 - 114) * UNIT,
    "baseline": (499 - 440 + 499 - 150) * UNIT,
}
# last attempts: wine ratios to 0.96: g 0.96/0.88 (188.6), e 0.96/0.84 (289.4), baseline
# 0.96/0.80 (395.1); diabetes: m (63) is worse than the baseline, so infeasible: the worst
# feasible ratio 60/59 times 1.05 (142.2); g and baseline 60/59 (36.4), e is the best
AUP_LAST = {
    "greedy/programmatic": (499 - 189 + 499 - 37) * UNIT,
    "mcts/programmatic": (499 + 499 - 143) * UNIT,
    "evolutionary/programmatic": (499 - 290 + 499) * UNIT,
    "baseline": (499 - 396 + 499 - 37) * UNIT,
}


def config(**overrides):
    return {"runs": [str(DATA)], "method": "sco", "temperature": 1.0, "iterations": 1000,
            "bootstrap": 0, **overrides}  # fmt: skip


@pytest.fixture(scope="module")
def board():
    return leaderboard(config())


def rows(board):
    return {row["agent"]: row for row in board["agents"]}


def test_fixture_runs_are_read_with_their_last_attempts():
    runs = load_runs([str(DATA)])
    assert len(runs) == 10 and {r["agent"] for r in runs} == set(AGENTS)
    last = {(r["task"], r["agent"], Path(r["folder"]).name[-1]): r["last"] for r in runs}
    assert last["wine", "mcts/programmatic", "1"] is None  # its last node was buggy
    assert last["diabetes", "greedy/programmatic", "1"] == 65.0


def test_aup_of_best_and_last_attempts_match_hand_computation(board):
    by_agent = rows(board)
    for agent in AGENTS:
        assert by_agent[agent]["aup_val"] == pytest.approx(AUP_BEST[agent], abs=1e-12)
        assert by_agent[agent]["aup_last"] == pytest.approx(AUP_LAST[agent], abs=1e-12)
    assert board["baseline_aup_val"] == pytest.approx(AUP_BEST["baseline"], abs=1e-12)
    assert board["baseline_aup_last"] == pytest.approx(AUP_LAST["baseline"], abs=1e-12)


def test_sco_matches_one_hand_computed_gradient_step():
    # votes (test scores): wine m > g > e, diabetes g > e > m. From θ = 500 one full-batch step
    # of the sigmoid loss moves each rating by lr · σ'(0) · (pairs won − pairs lost) / votes
    # = 0.01 · 0.25 · {g: +2, m: 0, e: −2} / 2
    one_step = rows(leaderboard(config(iterations=1)))
    expected = {"greedy/programmatic": 500.0025, "mcts/programmatic": 500.0,
                "evolutionary/programmatic": 499.9975}  # fmt: skip
    for agent, rating in expected.items():
        assert one_step[agent]["sco"] == pytest.approx(rating, abs=5e-5)


def test_full_sco_ranking_medal_rate_and_normalised_score(board):
    # greedy beats evolutionary on both tasks and splits with mcts; mcts splits with both
    assert [row["agent"] for row in board["agents"]] == list(AGENTS)
    by_agent = rows(board)
    # medals: greedy bronze, gold, silver of 4 runs; mcts gold, gold of 4; evolutionary none
    rates = {agent: by_agent[agent]["medal_rate"] for agent in AGENTS}
    assert rates == {AGENTS[0]: 0.75, AGENTS[1]: 0.5, AGENTS[2]: 0.0}
    # (score − baseline) / (best − baseline): wine g 0.12/0.18, m 1, e 0.04/0.18;
    # diabetes g 1, m 0, e 1/4
    expected = {AGENTS[0]: (2 / 3 + 1) / 2, AGENTS[1]: 0.5, AGENTS[2]: (2 / 9 + 0.25) / 2}
    for agent, value in expected.items():
        assert by_agent[agent]["normalised"] == pytest.approx(value)


def test_bootstrap_over_seeds_gives_percentile_intervals():
    runs = load_runs([str(DATA)])

    def mean_val(sample):
        wine = [r for r in sample if r["task"] == "wine"]
        agents = {r["agent"] for r in wine}
        return {a: sum(r["val"] for r in wine if r["agent"] == a) / 2 for a in agents}

    # greedy's two seeds (0.90, 0.94) resampled: means 0.90, 0.92, 0.94 with chances ¼, ½, ¼
    # (the /2 above halves the single-seed agent, whose interval is degenerate)
    intervals = bootstrap(runs, mean_val, samples=2000, seed=1)
    assert intervals["greedy/programmatic"] == pytest.approx((0.90, 0.94))
    assert intervals["evolutionary/programmatic"] == pytest.approx((0.42, 0.42))
    assert bootstrap(runs, mean_val, samples=50, seed=3) == bootstrap(runs, mean_val, 50, seed=3)
    with_ci = rows(leaderboard(config(bootstrap=30)))
    for agent in AGENTS:
        low, high = with_ci[agent]["intervals"]["aup_val"]
        assert low <= high and with_ci[agent]["intervals"]["normalised"] is not None


def test_entry_point_prints_table_and_writes_plot(tmp_path):
    cmd = [sys.executable, "-m", "research_agent.leaderboard", f"runs=[{DATA}]", "bootstrap=20",
           f"hydra.run.dir={tmp_path}"]  # fmt: skip
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=120).stdout
    assert "AUP (last)" in out and "medal rate" in out and "greedy/programmatic" in out
    assert (tmp_path / "leaderboard.png").stat().st_size > 10_000
    board = json.loads((tmp_path / "leaderboard.json").read_text())
    assert board["bootstrap_samples"] == 20 and len(board["agents"]) == 3
    assert "AUP (best)" in (tmp_path / "leaderboard.md").read_text()
