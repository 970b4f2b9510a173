"""``python -m research_agent.leaderboard runs=[<dir>,...]``: rank agents across tasks.

An *agent* is a search policy with an operator set and, for LLM operators, the model (e.g.
``mcts/programmatic``). Every research run folder found under ``runs`` (:func:`run_folders`:
never a folder inside a run's node workspaces, which solutions write) contributes its best
solution's scores and its last attempt's validation score; an agent's score on a task is the
mean over its runs (seeds). Each task is one vote ranking the agents (ties kept), and the votes
are aggregated with Soft Condorcet Optimization (``gametheory.voting``), with Elo, MLGym's AUP
of the best and of the last attempts, the medal rate and the mean normalised score beside it;
``bootstrap=N`` resamples each agent's seeds N times for 95% intervals. Writes
``leaderboard.json``, ``leaderboard.md``, ``leaderboard.png`` (performance profiles and the
normalised scores) and metrics.json. Run folders whose files cannot be read safely (a link, not
a regular file, over its size cap) are left out and listed under ``skipped``.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections import defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from omegaconf import DictConfig
from rich.console import Console
from rich.table import Table

import research_agent.config  # noqa: F401  (registers the leaderboard schema)
from gametheory.voting import elo, sco_ratings
from research_agent.journal import node_records, parse_records
from research_agent.reporting.aup import BASELINE, aup, profiles
from research_agent.solutions.workspace_files import WorkspaceFileError, read_bytes
from runkit import PathNotFoundError, UsageError, hydra_entry_point, start_run

log = logging.getLogger(__name__)
METHODS = ("sco", "elo", "aup")


# The files a research run folder holds, written by the run process itself (config.yaml at its
# start, before any solution runs; the journal as solutions finish; metrics.json at its end),
# with the most the leaderboard reads of each.
RUN_FILES = {"config.yaml": 1 << 20, "journal.jsonl": 256 << 20, "metrics.json": 1 << 20}
NODES_DIR = "nodes"  # <run>/nodes/<key>/workspace: written by solutions, never read here


def _inside_node_workspaces(path: Path) -> Path | None:
    """The run folder whose ``nodes/`` holds ``path``, if one does."""
    for parent in path.parents:
        if parent.name == NODES_DIR and (parent.parent / "config.yaml").is_file():
            return parent.parent
    return None


def run_folders(root: Path) -> Iterator[Path]:
    """Research run folders at or below ``root``: those holding all of :data:`RUN_FILES`.

    Walks without following links and never descends into a research run folder (one holding
    config.yaml and a journal or ``nodes/``), so no file a solution wrote into its workspace is
    taken for a run; a ``root`` inside a run's ``nodes/`` is an error."""
    root = root.resolve()
    holder = _inside_node_workspaces(root)
    if holder is not None:
        raise ValueError(
            f"runs entry {root} lies in the node workspaces of the run {holder}, which its "
            "solutions wrote; pass run folders or folders that hold them"
        )
    for current, dirs, files in os.walk(root):
        here = set(files)
        if "config.yaml" in here and ("journal.jsonl" in here or NODES_DIR in dirs):
            dirs.clear()  # a research run: nothing below it is another run
            if here >= set(RUN_FILES):
                yield Path(current)
            continue
        dirs.sort()


def read_run(folder: Path) -> dict[str, Any] | None:
    """Agent name, task, direction and scores of the research run in ``folder`` (None when
    its metrics are not a research run's: no ``policy`` or ``task``)."""
    data = {name: read_bytes(folder, name, cap) for name, cap in RUN_FILES.items()}
    try:
        metrics = json.loads(data["metrics.json"])
        config = yaml.safe_load(data["config.yaml"])
    except (ValueError, yaml.YAMLError) as error:
        unreadable = f"{folder}: unreadable metrics.json or config.yaml: {error}"
        raise WorkspaceFileError(unreadable) from None
    if not isinstance(metrics, dict) or "policy" not in metrics or "task" not in metrics:
        return None
    if not isinstance(config, dict):
        raise WorkspaceFileError(f"{folder}/config.yaml is not a mapping")
    return {
        "agent": agent_name(metrics["policy"], config),
        "task": metrics["task"],
        "maximize": metrics.get("direction", "maximize") == "maximize",
        "test": metrics.get("test_score"),
        "val": metrics.get("best_val_score"),
        "last": last_attempt(parse_records(data["journal.jsonl"])),
        "baseline_val": metrics.get("baseline_val_score"),
        "medal": metrics.get("medal"),
        "folder": str(folder),
    }


def existing_paths(paths: list[str]) -> list[Path]:
    """``paths`` as paths; the first that does not exist raises :class:`PathNotFoundError`."""
    for path in paths:
        if not Path(path).exists():
            raise PathNotFoundError(f"runs entry {path} does not exist")
    return [Path(path) for path in paths]


def load_runs(
    paths: list[str], skipped: list[dict[str, str]] | None = None
) -> list[dict[str, Any]]:
    """Agent name, task, direction and scores of every research run at or below ``paths``
    (:func:`run_folders`). A run whose files cannot be read safely is left out with a warning
    and, when ``skipped`` is given, appended to it as ``{"folder", "reason"}``."""
    runs = []
    for path in existing_paths(paths):
        for folder in run_folders(path):
            try:
                found = read_run(folder)
            except WorkspaceFileError as error:
                log.warning("run %s left out: %s", folder, error)
                if skipped is not None:
                    skipped.append({"folder": str(folder), "reason": str(error)})
                continue
            if found is not None:
                runs.append(found)
    if not runs:
        raise UsageError(f"no research runs (metrics.json with a policy) under runs={paths}")
    return runs


def agent_name(policy: str, config: dict[str, Any]) -> str:
    """``policy/operators`` plus ``/model`` when the operators are an LLM's."""
    backend = config["operators"]["backend"]
    llm = config.get("llm") or {}
    model = llm.get("model_name") if backend == "llm" else None
    return f"{policy}/{backend}" + (f"/{model}" if model else "")


def last_attempt(records: list[dict[str, Any]]) -> float | None:
    """The validation score of the run's last node (None if it was buggy or there is none),
    from its journal's records."""
    nodes = node_records(records)
    return nodes[-1]["metrics"].get("val_score") if nodes else None


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


def mean_scores(runs: list[dict[str, Any]], key: str) -> dict[str, dict[str, float | None]]:
    """``{task: {agent: mean of the runs' key}}`` (a seed without a score is left out)."""
    collected: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for r in runs:
        collected[r["task"]][r["agent"]].append(r[key])
    return {t: {a: _mean(v) for a, v in agents.items()} for t, agents in collected.items()}


def normalised_scores(
    val: dict[str, dict[str, float | None]], baseline: dict[str, float], maximize: dict[str, bool]
) -> dict[str, float | None]:
    """Each agent's mean over tasks of (score − baseline) / (best agent's score − baseline): 1
    is the best agent of the task, 0 the baseline, below 0 worse than it. A missing score counts
    as the baseline; a task where no agent beats the baseline is left out."""
    per_agent: dict[str, list[float]] = defaultdict(list)
    for task, per_task in val.items():
        if task not in baseline:
            continue
        sign = 1.0 if maximize[task] else -1.0
        known = [sign * s for s in per_task.values() if s is not None]
        base = sign * baseline[task]
        if not known or max(known) <= base:
            continue
        for agent, score in per_task.items():
            gained = 0.0 if score is None else sign * score - base
            per_agent[agent].append(gained / (max(known) - base))
    agents = {a for per_task in val.values() for a in per_task}
    return {a: _mean(per_agent[a]) if per_agent[a] else None for a in sorted(agents)}


def medal_rates(runs: list[dict[str, Any]]) -> dict[str, float]:
    """Each agent's share of runs whose test score won a gold, silver or bronze medal."""
    medals: dict[str, list[bool]] = defaultdict(list)
    for r in runs:
        medals[r["agent"]].append(r["medal"] in ("gold", "silver", "bronze"))
    return {a: sum(won) / len(won) for a, won in medals.items()}


def _sco(runs: list[dict[str, Any]], maximize: dict[str, bool], cfg: Any) -> dict[str, float]:
    votes = task_votes(mean_scores(runs, "test"), maximize)
    if not votes:
        return {}
    return sco_ratings(votes, temperature=cfg["temperature"], iterations=cfg["iterations"])


def _aup(
    runs: list[dict[str, Any]], key: str, baseline: dict[str, float], maximize: dict[str, bool]
) -> dict[str, float]:
    scores = mean_scores(runs, key)
    with_baseline = {t: {**scores[t], BASELINE: baseline[t]} for t in scores if t in baseline}
    return aup(with_baseline, maximize) if with_baseline else {}


def bootstrap(
    runs: list[dict[str, Any]],
    statistic: Callable[[list[dict[str, Any]]], dict[str, float | None]],
    samples: int,
    seed: int = 0,
    level: float = 0.95,
) -> dict[str, tuple[float, float]]:
    """Percentile interval of ``statistic(runs)`` per agent, resampling each (task, agent)'s
    runs (its seeds) with replacement ``samples`` times."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for r in runs:
        groups[r["task"], r["agent"]].append(r)
    rng = np.random.default_rng(seed)
    draws: dict[str, list[float]] = defaultdict(list)
    for _ in range(samples):
        sample = [g[i] for g in groups.values() for i in rng.integers(len(g), size=len(g))]
        for agent, value in statistic(sample).items():
            if value is not None:
                draws[agent].append(value)
    tail = 100 * (1 - level) / 2
    return {
        a: (float(np.percentile(v, tail)), float(np.percentile(v, 100 - tail)))
        for a, v in draws.items()
    }


def leaderboard(cfg: DictConfig | dict) -> dict[str, Any]:
    """The table of agents: SCO rating, Elo, AUP of the best and of the last attempts, medal
    rate, mean normalised score, per-task test scores and bootstrap intervals over seeds."""
    if cfg["method"] not in METHODS:
        raise UsageError(f"method={cfg['method']!r}; valid: {', '.join(METHODS)}")
    skipped: list[dict[str, str]] = []
    runs = load_runs(list(cfg["runs"]), skipped)
    maximize = {r["task"]: r["maximize"] for r in runs}
    baseline = {r["task"]: r["baseline_val"] for r in runs if r["baseline_val"] is not None}
    test = mean_scores(runs, "test")
    agents = sorted({r["agent"] for r in runs})
    votes = task_votes(test, maximize)
    ratings: dict[str, float | None] = {a: None for a in agents}
    elos: dict[str, float | None] = {a: None for a in agents}
    if votes:
        ratings.update(_sco(runs, maximize, cfg))
        elos.update({a: float(rating) for a, rating in elo(votes).scores.items()})
    aups, aups_last = _aup(runs, "val", baseline, maximize), _aup(runs, "last", baseline, maximize)
    medals = medal_rates(runs)

    def normalised(sample: list[dict[str, Any]]) -> dict[str, float | None]:
        return normalised_scores(mean_scores(sample, "val"), baseline, maximize)

    samples = int(cfg.get("bootstrap", 0) or 0)
    intervals = (
        {
            "sco": bootstrap(runs, lambda s: _sco(s, maximize, cfg), samples) if votes else {},
            "aup_val": bootstrap(runs, lambda s: _aup(s, "val", baseline, maximize), samples),
            "normalised": bootstrap(runs, normalised, samples),
        }
        if samples
        else {}
    )
    norm = normalised(runs)
    rows = [
        {
            "agent": a,
            "runs": sum(r["agent"] == a for r in runs),
            "sco": ratings[a],
            "elo": elos[a],
            "aup_val": aups.get(a),
            "aup_last": aups_last.get(a),
            "medal_rate": medals[a],
            "normalised": norm[a],
            "intervals": {k: v.get(a) for k, v in intervals.items()},
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
        "bootstrap_samples": samples,
        "baseline_aup_val": aups.get(BASELINE),
        "baseline_aup_last": aups_last.get(BASELINE),
        "agents": rows,
        "skipped": skipped,
    }


COLUMNS = {
    "sco": "SCO",
    "elo": "Elo",
    "aup_val": "AUP (best)",
    "aup_last": "AUP (last)",
    "medal_rate": "medal rate",
    "normalised": "norm. score",
}


def _cell(row: dict[str, Any], key: str) -> str:
    interval = row["intervals"].get(key)
    text = _fmt(row[key])
    return text if interval is None else f"{text} [{interval[0]:.4g}, {interval[1]:.4g}]"


def markdown(board: dict[str, Any]) -> str:
    """The leaderboard as a markdown table (bootstrap 95% intervals in brackets)."""
    tasks = board["tasks"]
    head = ["rank", "agent", *COLUMNS.values(), *tasks]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for rank, row in enumerate(board["agents"], 1):
        cells = [str(rank), row["agent"], *(_cell(row, k) for k in COLUMNS)]
        cells += [_fmt(row["test_scores"][t]) for t in tasks]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:.4g}"


def plot(board: dict[str, Any], runs: list[dict[str, Any]], path: Path) -> Path | None:
    """Performance profiles of the best attempts and the mean normalised scores (with their
    bootstrap intervals) as a PNG; None when no task has a baseline score."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    maximize = {r["task"]: r["maximize"] for r in runs}
    baseline = {r["task"]: r["baseline_val"] for r in runs if r["baseline_val"] is not None}
    scores = mean_scores(runs, "val")
    with_baseline = {t: {**scores[t], BASELINE: baseline[t]} for t in scores if t in baseline}
    if not with_baseline:
        return None
    taus, curves = profiles(with_baseline, maximize)
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    for method, rho in curves.items():
        left.step(taus, rho, where="post", label=method)
    left.set(xlabel="τ (log10 ratio to the best)", ylabel="share of tasks ρ(τ)")
    left.set_title("performance profiles (best attempts)")
    left.legend(fontsize=7)
    rows = [row for row in board["agents"] if row["normalised"] is not None]
    values = [row["normalised"] for row in rows]
    errors = [
        (
            [v - row["intervals"]["normalised"][0], row["intervals"]["normalised"][1] - v]
            if row["intervals"].get("normalised")
            else [0.0, 0.0]
        )
        for row, v in zip(rows, values, strict=True)
    ]
    right.barh([row["agent"] for row in rows], values, xerr=np.array(errors).T.reshape(2, -1))
    right.set(xlabel="mean normalised score (1 = best agent, 0 = baseline)")
    right.set_title("normalised score, 95% bootstrap interval")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def run(cfg: DictConfig) -> dict[str, Any]:
    existing_paths(list(cfg["runs"]))  # a mistyped path ends before the run folder and torch
    ctx = start_run(cfg)
    board = leaderboard(cfg)
    ctx.write_json("leaderboard.json", board)
    (ctx.output_dir / "leaderboard.md").write_text(markdown(board))
    plot(board, load_runs(list(cfg["runs"])), ctx.output_dir / "leaderboard.png")
    table = Table(title=f"leaderboard ({board['runs']} runs, ranked by {board['method']})")
    for column in ("agent", *COLUMNS.values()):
        table.add_column(column)
    for row in board["agents"]:
        table.add_row(row["agent"], *(_cell(row, k) for k in COLUMNS))
    Console(width=None if sys.stdout.isatty() else 160).print(table)
    ctx.write_metrics({"method": board["method"], "runs": board["runs"], "agents": board["agents"]})
    return board


@hydra_entry_point("leaderboard")
def main(cfg: DictConfig) -> None:
    run(cfg)


if __name__ == "__main__":
    main()
