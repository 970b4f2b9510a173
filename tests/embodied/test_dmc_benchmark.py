"""benchmarks/dmc_wm_mpc.py end to end at a tiny budget: online learning with the learner
process, learning-curve evaluations, the report beside TD-MPC2's published numbers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "benchmarks" / "dmc_wm_mpc.py"


def test_dmc_benchmark_reports_curve_and_published_numbers(tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    tiny = "--env-steps 120 --episode-steps 20 --seed-steps 20 --eval-every 40 --eval-episodes 1"
    small_model = "--num-samples 64 --iterations 2 --batch-size 8"
    args = [*tiny.split(), *small_model.split(), "--seeds", "1", "2", "--out", str(out)]
    env = dict(os.environ, PYTHONPATH=f"{REPO}{os.pathsep}{REPO / 'benchmarks'}")
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--task", "cartpole-swingup", *args],
        capture_output=True, text=True, timeout=300, env=env,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(out.read_text())
    assert [s["seed"] for s in report["seeds"]] == [1, 2]
    for seed in report["seeds"]:
        assert seed["env_steps"] == 120 and seed["agent_steps"] == 60  # action repeat 2
        assert [point[0] for point in seed["curve"]] == [40, 80, 120]
        assert seed["curve"][-1][1] == seed["eval_return"]
        assert len(seed["train_returns"]) == 3
    assert report["mean_return"] == sum(s["eval_return"] for s in report["seeds"]) / 2
    assert report["published_100k"]["tdmpc2"]["mean"] == (860.5 + 789.8 + 867.9) / 3
    assert report["goal_met"] is None  # not 100k steps, not 3 seeds
    assert report["machine"]["cpu_cores"] >= 1
    assert '"mean_return"' in result.stdout
