"""``python -m research_agent.leaderboard runs=[<dir>,...]``: rank agents across tasks.

An *agent* is a search policy with an operator set (e.g. ``mcts/programmatic``). Every research
run folder found under ``runs`` contributes its best solution's scores; an agent's score on a
task is the mean over its runs (seeds). Each task is one vote ranking the agents (ties kept),
and the votes are aggregated with Soft Condorcet Optimization (``gametheory.voting``), with
Elo and MLGym's AUP beside it. Writes ``leaderboard.json``, ``leaderboard.md`` and metrics.json.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from pathlib import Path
from typing import Any

import yaml
from omegaconf import DictConfig
from rich.console import Console
from rich.table import Table

import research_agent.config  # noqa: F401  (registers the leaderboard schema)
from gametheory.voting import elo, sco_ratings
from research_agent.aup import BASELINE, aup
from runkit import hydra_entry_point, start_run

log = logging.getLogger(__name__)
METHODS = ("sco", "elo", "aup")


def load_runs(paths: list[str]) -> list[dict[str, Any]]:
    """Agent name, task, direction and scores of every research run at or below ``paths``.

    A research run folder holds a metrics.json with a ``policy`` and a config.yaml.
    """
    runs = []
    for path in map(Path, paths):
        if not path.exists():
            raise FileNotFoundError(f"runs entry {path} does not exist")
        for metrics_path in sorted(path.rglob("metrics.json")):
            metrics = json.loads(metrics_path.read_text())
            config_path = metrics_path.parent / "config.yaml"
            if "policy" not in metrics or "task" not in metrics or not config_path.exists():
                continue
            config = yaml.safe_load(config_path.read_text())
            runs.append(
                {
                    "agent": f"{metrics['policy']}/{config['operators']['backend']}",
                    "task": metrics["task"],
                    "maximize": metrics.get("direction", "maximize") == "maximize",
                    "test": metrics.get("test_score"),
                    "val": metrics.get("best_val_score"),
                    "baseline_val": metrics.get("baseline_val_score"),
                    "folder": str(metrics_path.parent),
                }
            )
    if not runs:
        raise ValueError(f"no research runs (metrics.json with a policy) under {paths}")
    return runs


def _mean(values: list[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return sum(known) / len(known) if known else None


def task_votes(
    scores: dict[str, dict[str, float | None]], maximize: dict[str, bool]
) -> list[tuple[float, list]]:
    """One vote per task ranking its agents best to worst; equal scores tie, missing rank last."""
    votes = []
    for task, per_agent in scores.items():
        levels: dict[float, set[str]] = defaultdict(set)
        missing = set()
        for agent, score in per_agent.items():
            if score is None:
                missing.add(agent)
            else:
                levels[score if maximize[task] else -score].add(agent)
        ranking: list = [group for _, group in sorted(levels.items(), reverse=True)]
        if missing:
            ranking.append(missing)
        if len(ranking) > 1:
            votes.append((1.0, [next(iter(g)) if len(g) == 1 else g for g in ranking]))
    return votes


def leaderboard(cfg: DictConfig | dict) -> dict[str, Any]:
    """The table of agents with their SCO rating, Elo, AUP and per-task scores."""
    if cfg["method"] not in METHODS:
        raise ValueError(f"method={cfg['method']!r}; valid: {', '.join(METHODS)}")
    runs = load_runs(list(cfg["runs"]))
    maximize = {r["task"]: r["maximize"] for r in runs}
    collected: dict[str, dict[str, dict[str, list]]] = defaultdict(
        lambda: defaultdict(lambda: {"test": [], "val": []})
    )
    baseline_val: dict[str, float] = {}
    for r in runs:
        collected[r["task"]][r["agent"]]["test"].append(r["test"])
        collected[r["task"]][r["agent"]]["val"].append(r["val"])
        if r["baseline_val"] is not None:
            baseline_val[r["task"]] = r["baseline_val"]
    test = {t: {a: _mean(s["test"]) for a, s in agents.items()} for t, agents in collected.items()}
    val = {t: {a: _mean(s["val"]) for a, s in agents.items()} for t, agents in collected.items()}
    agents = sorted({r["agent"] for r in runs})
    votes = task_votes(test, maximize)
    ratings = {a: None for a in agents}
    elos = {a: None for a in agents}
    if votes:
        ratings.update(
            sco_ratings(votes, temperature=cfg["temperature"], iterations=cfg["iterations"])
        )
        elos.update({a: float(rating) for a, rating in elo(votes).scores.items()})
    with_baseline = {t: {**val[t], BASELINE: baseline_val[t]} for t in val if t in baseline_val}
    aups = aup(with_baseline, maximize) if with_baseline else {}
    rows = [
        {
            "agent": a,
            "sco": ratings[a],
            "elo": elos[a],
            "aup_val": aups.get(a),
            "test_scores": {t: test[t].get(a) for t in sorted(test)},
        }
        for a in agents
    ]
    key = {"sco": "sco", "elo": "elo", "aup": "aup_val"}[cfg["method"]]
    rows.sort(key=lambda row: -float("inf") if row[key] is None else -row[key])
    return {
        "method": cfg["method"],
        "runs": len(runs),
        "tasks": sorted(test),
        "baseline_aup_val": aups.get(BASELINE),
        "agents": rows,
    }


def markdown(board: dict[str, Any]) -> str:
    """The leaderboard as a markdown table."""
    tasks = board["tasks"]
    head = ["rank", "agent", "SCO", "Elo", "AUP (val)", *tasks]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for rank, row in enumerate(board["agents"], 1):
        cells = [str(rank), row["agent"], *(_fmt(row[k]) for k in ("sco", "elo", "aup_val"))]
        cells += [_fmt(row["test_scores"][t]) for t in tasks]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:.4g}"


def run(cfg: DictConfig) -> dict[str, Any]:
    ctx = start_run(cfg)
    board = leaderboard(cfg)
    ctx.write_json("leaderboard.json", board)
    (ctx.output_dir / "leaderboard.md").write_text(markdown(board))
    table = Table(title=f"leaderboard ({board['runs']} runs, ranked by {board['method']})")
    for column in ("agent", "SCO", "Elo", "AUP (val)"):
        table.add_column(column)
    for row in board["agents"]:
        table.add_row(row["agent"], *(_fmt(row[k]) for k in ("sco", "elo", "aup_val")))
    Console().print(table)
    ctx.write_metrics({"method": board["method"], "runs": board["runs"], "agents": board["agents"]})
    return board


@hydra_entry_point("leaderboard")
def main(cfg: DictConfig) -> None:
    run(cfg)


if __name__ == "__main__":
    main()
