"""Research agent: search policies vs the task baseline, Optuna TPE and random search.

Every method gets the same wall-clock budget per built-in task and the same config space,
sandbox and grader, and starts from the task's baseline solution (its first solution); the
policies use the programmatic operators and the research entry point's search configs
(configs/search/<policy>.yaml; ``--set`` changes a field). Reports per task and method
the best validation score, the test score of that solution, the number of solutions run and,
for the policies, the search overhead (time not spent executing solutions, as a fraction of
the run). Prints one JSON object.
Usage: python benchmarks/research_search.py [--seconds S] [--tasks a,b] [--seeds N]
    [--first-seed K] [--methods greedy,mcts,...] [--set mcts.max_weight=1 ...] [--long]
       python benchmarks/research_search.py --combine seed0.json seed1.json ...
(``--combine`` merges reports of the same budget run separately, other seeds or other methods
of the same seeds, and prints the measures over all their runs.)
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import torch
from hydra import compose, initialize_config_dir
from hydra.errors import ConfigCompositionException
from machine import machine_info
from omegaconf import OmegaConf
from scipy.stats import rankdata

from planning.tree import Node
from research_agent.config import SelectionConfig
from research_agent.execution.execute import execute, task_limits
from research_agent.execution.sandbox import isolation_backend
from research_agent.execution.spares import Spares
from research_agent.journal import Journal
from research_agent.leaderboard import normalised_scores
from research_agent.operators import OperatorContext, make_operators
from research_agent.research_domain import ResearchDomain
from research_agent.search import POLICIES, make_policy, run_search
from research_agent.selection.cross_validation import search_time, select_solution
from research_agent.solutions.program import read_config
from research_agent.tasks import RECIPES, TaskFolder, TaskSpec, gain_over_baseline, grade, load_task
from research_agent.tuners import optuna_search, random_search
from runkit import CONFIG_DIR

TUNERS = {"random": random_search, "optuna_tpe": optuna_search}


def scores(task: TaskFolder, workspace: Path | None, val: float | None) -> dict[str, Any]:
    """The validation score ``val`` of the solution that ran in ``workspace`` (None: no
    solution ran without a bug), its test score and its validation gain over the baseline."""
    if workspace is None:
        return {"val": None, "test": None, "val_gain_ci95": None}
    test = grade(task, workspace / "test_predictions.npy", "test").get("score")
    return {
        "val": rounded(val),
        "test": rounded(test),
        "val_gain_ci95": gain_interval(task, workspace),
    }


def node_scores(task: TaskFolder, node: Node | None, out: Path) -> dict[str, Any]:
    """:func:`scores` of a policy run's ``node``."""
    if node is None:
        return scores(task, None, None)
    workspace = out / "nodes" / node.payload["key"] / "workspace"
    return scores(task, workspace, node.info["val_score"])


def run_policy(
    name: str, task: TaskFolder, seconds: float, out: Path, seed: int, settings: dict[str, Any]
) -> dict[str, Any]:
    """A policy's search with ``settings`` and its final choice by cross-validation (the
    research entry point's defaults), with the scores of the best-by-validation node of the
    same search beside."""
    journal = Journal(out / "journal.jsonl")
    operators = make_operators("programmatic", OperatorContext(journal))
    with Spares() as spares:  # as the entry point's default sandbox.spares
        domain = ResearchDomain(
            task, operators, out / "nodes", journal, task_limits(task), spares=spares
        )
        policy = make_policy(name, {**settings, "seed": seed})
        choice = SelectionConfig()
        budget = search_time(task, seconds, choice.folds, choice.time_fraction)
        outcome = run_search(
            policy,
            domain,
            out,
            budget_steps=None,
            budget_seconds=budget,
            start_from_baseline=True,
        )
        selection = select_solution(
            task,
            outcome.tree,
            out,
            folds=choice.folds,
            size=choice.candidates,
            limits=domain.limits,
            seconds=max(0.0, seconds - outcome.seconds),
            ensemble=choice.ensemble,
            spares=spares,
        )
    return {
        **node_scores(task, selection.chosen, out),
        "by_validation": node_scores(task, outcome.tree.best_node(), out),
        "selection_rule": selection.rule,
        "selection_seconds": round(selection.seconds, 2),
        "ensemble": selection.ensemble,
        "solutions": len(outcome.tree),
        "buggy": len(outcome.tree.buggy_nodes()),
        "seconds": round(outcome.seconds, 2),
        "overhead_fraction": round(1 - outcome.executed_seconds / outcome.seconds, 4),
    }


def chosen_by_validation(results: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """``results`` with each policy's scores those of its best node by validation score."""
    return {
        task_id: {
            **per_task,
            "runs": [
                {m: r["by_validation"] if m in POLICIES else r for m, r in run.items()}
                for run in per_task["runs"]
            ],
        }
        for task_id, per_task in results.items()
    }


def run_tuner(name: str, task: TaskFolder, seconds: float, out: Path, seed: int) -> dict[str, Any]:
    initial = read_config(task.starter.read_text())  # every method starts from the baseline
    with Spares() as spares:
        outcome = TUNERS[name](
            task, seconds, out, task_limits(task), seed=seed, initial=initial, spares=spares
        )
    best = outcome.best(task)
    workspace = None if best is None else out / f"trial_{best[0]}" / "workspace"
    return {
        **scores(task, workspace, None if best is None else best[1].score),
        "solutions": len(outcome.trials),
        "buggy": sum(r.score is None for _, r in outcome.trials),
        "seconds": round(outcome.seconds, 2),
    }


def policy_settings(assignments: list[str], parser: argparse.ArgumentParser) -> dict:
    """Per policy, the research entry point's ``search`` config as hydra composes it
    (configs/search/<policy>.yaml), with each ``--set policy.field=value`` applied as the
    override ``search.field=value``; the seed and batch size are the benchmark's. A malformed
    assignment, an unknown policy or field, or a value out of range is a usage error."""
    overrides: dict[str, list[str]] = {name: [] for name in POLICIES}
    for assignment in assignments:
        name, dot, override = assignment.partition(".")
        if not (dot and "=" in override) or name not in POLICIES:
            parser.error(
                f"--set {assignment!r}: expected POLICY.FIELD=VALUE, POLICY in {[*POLICIES]}"
            )
        overrides[name].append(f"search.{override}")
    settings: dict[str, dict[str, Any]] = {}
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        for name, extra in overrides.items():
            try:
                search = compose("research", overrides=[f"search={name}", *extra]).search
                fields = OmegaConf.to_container(search)
                settings[name] = {k: v for k, v in fields.items() if k not in ("seed", "parallel")}
                make_policy(name, settings[name])
            except (ConfigCompositionException, ValueError) as exc:
                parser.error(f"--set for {name}: {exc}")
    return settings


def baseline(task: TaskFolder) -> dict[str, Any]:
    predictions = task.baseline_run / "workspace" / "test_predictions.npy"
    test = grade(task, predictions, "test").get("score")
    return {"val": rounded(task.spec.baseline_score), "test": rounded(test)}


def gain_interval(task: TaskFolder, workspace: Path) -> list[float] | None:
    """The paired bootstrap 95% interval of the validation gain over the baseline (None for
    tasks without per-sample metrics)."""
    gain = gain_over_baseline(task, workspace, "val")
    return None if gain is None else [round(x, 6) for x in gain["ci95"]]


def rounded(score: float | None) -> float | None:
    """``score`` to 12 significant digits: a refit of the same model that differs from the
    baseline by rounding noise (1e-17) neither beats nor trails it."""
    return None if score is None else float(f"{score:.12g}")


def beats(spec: TaskSpec, score: float | None, baseline: float) -> bool:
    """Whether ``score`` is strictly better than the baseline's (a missing score is not)."""
    return score is not None and spec.signed(score) > spec.signed(baseline)


def mean_ranks(results: dict[str, dict[str, Any]], methods: list[str], key: str) -> dict:
    """Mean rank of each method over tasks and seeds by ``key`` ("val" or "test"); 1 is best,
    ties share their mean rank."""
    ranks: dict[str, list[float]] = {m: [] for m in methods}
    for per_task in results.values():
        spec = RECIPES[per_task["task"]].spec
        for run in per_task["runs"]:
            signed = [
                spec.signed(run[m][key]) if run[m][key] is not None else -np.inf for m in methods
            ]
            for m, rank in zip(methods, rankdata(-np.array(signed)), strict=True):
                ranks[m].append(float(rank))
    return {m: round(float(np.mean(r)), 2) for m, r in ranks.items()}


def goal_measures(results: dict[str, dict[str, Any]], methods: list[str], key: str) -> dict:
    """The issue's goal measures by ``key`` ("val" or "test"): each method's share of (task,
    seed) runs strictly better than the task baseline, and its mean normalised score over the
    runs, (score − baseline) / (best method's score − baseline), as on the leaderboard."""
    wins: dict[str, list[bool]] = {m: [] for m in methods}
    normalised: dict[str, list[float]] = {m: [] for m in methods}
    for per_task in results.values():
        spec = RECIPES[per_task["task"]].spec
        for i, run in enumerate(per_task["runs"]):
            base = run["baseline"][key]
            for m in methods:
                score = run[m][key]
                wins[m].append(beats(spec, score, base))
            name = f"{per_task['task']}/{i}"
            row = normalised_scores(
                {name: {m: run[m][key] for m in methods}},
                {name: base},
                {name: spec.direction == "maximize"},
            )
            for m, value in row.items():
                if value is not None:
                    normalised[m].append(value)
    return {
        "beats_baseline_fraction": {m: round(float(np.mean(b)), 3) for m, b in wins.items()},
        "mean_normalised_score": {
            m: round(float(np.mean(v)), 3) if v else None for m, v in normalised.items()
        },
    }


def noise_check(results: dict[str, dict[str, Any]], methods: list[str]) -> dict:
    """Per method, over the runs on tasks with per-sample metrics: the share whose validation
    gain over the baseline is beyond the split's noise (bootstrap interval above 0), and of
    those, the share that beat the baseline on the test labels too."""
    check = {}
    for m in methods:
        runs = [
            (run[m], RECIPES[per_task["task"]].spec, run["baseline"]["test"])
            for per_task in results.values()
            for run in per_task["runs"]
            if run[m].get("val_gain_ci95") is not None
        ]
        real = [(r, spec, base) for r, spec, base in runs if r["val_gain_ci95"][0] > 0]
        held = [beats(spec, r["test"], base) for r, spec, base in real]
        check[m] = {
            "runs": len(runs),
            "gain_beyond_noise_fraction": round(len(real) / len(runs), 3) if runs else None,
            "of_those_beats_baseline_on_test": round(float(np.mean(held)), 3) if held else None,
        }
    return check


def measures(results: dict[str, dict[str, Any]], methods: list[str]) -> dict[str, Any]:
    """The report's measures over every (task, seed) run in ``results``: mean ranks, the goal
    measures with the policies' final choice and with their best node by validation, the
    validation-noise check and the largest search overhead."""
    overheads = [
        run[m]["overhead_fraction"]
        for r in results.values()
        for run in r["runs"]
        for m in methods
        if m in POLICIES
    ]
    by_validation = chosen_by_validation(results)
    return {
        "mean_rank_val": mean_ranks(results, ["baseline", *methods], "val"),
        "mean_rank_test": mean_ranks(results, ["baseline", *methods], "test"),
        "goals_val": goal_measures(results, methods, "val"),
        "goals_test": goal_measures(results, methods, "test"),
        "goals_val_policies_by_validation": goal_measures(by_validation, methods, "val"),
        "goals_test_policies_by_validation": goal_measures(by_validation, methods, "test"),
        "validation_noise": noise_check(results, methods),
        "max_search_overhead_fraction": max(overheads, default=None),
    }


def read_report(path: str, parser: argparse.ArgumentParser) -> dict[str, Any]:
    """The research_search report at ``path``; anything else is a usage error naming it."""
    try:
        report = json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError) as exc:
        parser.error(f"--combine {path}: not a readable JSON report ({exc})")
    if not isinstance(report, dict) or report.get("benchmark") != "research_search":
        parser.error(f"--combine {path}: not a research_search report")
    return report


def combine(paths: list[str], parser: argparse.ArgumentParser) -> dict[str, Any]:
    """One report from the reports at ``paths`` (the same budget): per task and seed, the
    methods of every report side by side (runs of other seeds, or other methods of the same
    seeds), and the measures recomputed over all runs. A method given twice for a task and
    seed, differing settings of a policy, or a task and seed that lacks a method another has,
    is a usage error that names it."""
    reports = {path: read_report(path, parser) for path in paths}
    first = reports[paths[0]]
    budget = first["seconds_per_task_and_method"]
    settings: dict[str, Any] = {}
    runs: dict[str, dict[int, dict[str, Any]]] = {}
    for path, report in reports.items():
        if report["seconds_per_task_and_method"] != budget:
            parser.error(f"--combine {path}: budget differs from {paths[0]}'s {budget} s")
        for name, fields in report["policy_settings"].items():
            if settings.setdefault(name, fields) != fields:
                parser.error(f"--combine {path}: {name}'s settings differ from an earlier one's")
        for task_id, per_task in report["tasks"].items():
            for seed, run in zip(report["seeds"], per_task["runs"], strict=True):
                merged = runs.setdefault(task_id, {}).setdefault(seed, {})
                twice = sorted((set(run) & set(merged)) - {"baseline"})
                if twice:
                    parser.error(f"--combine {path}: {task_id} seed {seed} repeats {twice}")
                merged.update(run)
    given = {m for per_seed in runs.values() for run in per_seed.values() for m in run}
    methods = [m for m in [*POLICIES, *TUNERS] if m in given]
    seeds = sorted({seed for per_seed in runs.values() for seed in per_seed})
    for task_id, per_seed in runs.items():
        for seed in seeds:
            missing = sorted(set(methods) - set(per_seed.get(seed, {})))
            if missing:
                parser.error(f"--combine: {task_id} seed {seed} lacks {missing}")
    results = {
        task_id: {
            "task": task_id,
            "metric": RECIPES[task_id].spec.metric,
            "runs": [per_seed[seed] for seed in seeds],
        }
        for task_id, per_seed in runs.items()
    }
    header = {k: first[k] for k in ("benchmark", "machine", "isolation")}
    return {
        **header,
        "policy_settings": settings,
        "seconds_per_task_and_method": budget,
        "seeds": seeds,
        "tasks": results,
        **measures(results, methods),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--combine",
        nargs="+",
        metavar="REPORT",
        help="merge the JSON reports of separate runs (seeds or methods) and print the measures",
    )
    parser.add_argument("--seconds", type=float, default=None, help="budget per task and method")
    parser.add_argument("--tasks", default=",".join(RECIPES))
    parser.add_argument("--seeds", type=int, default=None)
    parser.add_argument(
        "--first-seed", type=int, default=0, help="seeds first-seed, first-seed+1, ..."
    )
    parser.add_argument(
        "--methods",
        default=",".join([*POLICIES, *TUNERS]),
        help=f"a comma-separated subset of {', '.join([*POLICIES, *TUNERS])}",
    )
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="POLICY.FIELD=VALUE",
        help="a policy config field (repeatable), e.g. mcts.max_weight=1",
    )
    parser.add_argument("--long", action="store_true", help="60 s per method, 3 seeds")
    args = parser.parse_args()
    if args.combine:
        print(json.dumps(combine(args.combine, parser), indent=1))
        return
    seconds = args.seconds or (60.0 if args.long else 10.0)
    count = args.seeds or (3 if args.long else 1)
    seeds = list(range(args.first_seed, args.first_seed + count))
    methods = args.methods.split(",")
    unknown = sorted(set(methods) - {*POLICIES, *TUNERS})
    if unknown:
        parser.error(f"unknown methods {unknown}; known: {[*POLICIES, *TUNERS]}")
    settings = policy_settings(args.set, parser)
    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="research_bench_") as tmp:
        for task_id in args.tasks.split(","):
            task = load_task(task_id, runner=execute)
            runs = []
            for seed in seeds:
                run: dict[str, Any] = {"baseline": baseline(task)}
                for method in methods:
                    out = Path(tmp) / task_id / f"{method}_{seed}"
                    if method in POLICIES:
                        run[method] = run_policy(method, task, seconds, out, seed, settings[method])
                    else:
                        run[method] = run_tuner(method, task, seconds, out, seed)
                runs.append(run)
            results[task_id] = {"task": task_id, "metric": task.spec.metric, "runs": runs}
    report = {
        "benchmark": "research_search",
        "machine": machine_info(torch.device("cpu")),
        "isolation": isolation_backend(),
        "policy_settings": {m: settings[m] for m in methods if m in POLICIES},
        "seconds_per_task_and_method": seconds,
        "seeds": seeds,
        "tasks": results,
    }
    print(json.dumps({**report, **measures(results, methods)}, indent=1))


if __name__ == "__main__":
    main()
