"""``python -m research_agent.run task=<id> search=<policy> operators=<set> budget.steps=N``.

Searches solutions of a task, shows live progress (best score, nodes, buggy rate) and writes
into the run folder: journal.jsonl, search_state.pt, nodes/<key>/ (workspace and logs of every
solution), best_solution.py, report.md, score_vs_time.png, tree.json and metrics.json with the
best solution's test score (graded outside the sandbox on held-out labels) and medal.
Continue a killed run with ``resume=true hydra.run.dir=<its run folder>``: it goes on with the
config the run was started with (:mod:`research_agent.resume`). ``workers=N`` runs N
solutions at a time (it sets the policy's ``parallel``), on threads or, with ``executor=ray``,
as Ray tasks (``ray.address=auto`` on a cluster; see research_agent/execution/distributed.py).
A SIGTERM stops the search after the solution in flight and still writes the report and
metrics of the nodes done (the solution is then chosen by validation score); a second one kills.
"""

from __future__ import annotations

import json
import logging
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

import research_agent.config  # noqa: F401  (registers the schemas)
from planning.ray_executor import RaySettings
from planning.tree import Node, SearchTree
from research_agent.execution.distributed import make_executor
from research_agent.execution.execute import execute, task_limits
from research_agent.execution.gpus import GpuPool
from research_agent.execution.sandbox import isolation_backend
from research_agent.execution.spares import Spares
from research_agent.journal import Journal
from research_agent.operators import OperatorContext, make_operators
from research_agent.preflight import check_new_run_folder, check_task
from research_agent.reporting.report import plot_curve, score_curve, write_report
from research_agent.research_domain import ResearchDomain, run_time
from research_agent.resume import group_choices, record_resume, resume_config, with_run_groups
from research_agent.search import (
    JOURNAL_FILE,
    SearchOutcome,
    make_policy,
    run_search,
)
from research_agent.selection.cross_validation import (
    Selection,
    held_out_scores,
    search_time,
    select_solution,
)
from research_agent.tasks import TaskFolder, gain_over_baseline, load_task
from research_agent.tasks.speedrun.tasks import is_speedrun, task_fsr
from runkit import UsageError, exit_with_usage_error, hydra_entry_point, progress_bar, start_run
from runkit.run import output_folder

log = logging.getLogger(__name__)


def make_spares(cfg: DictConfig) -> Spares:
    """The run's spare sandboxes: ``sandbox.spares`` of them wait for the next solutions."""
    if cfg.sandbox.spares < 0:
        raise ValueError(f"sandbox.spares must be >= 0 (0: no spares), got {cfg.sandbox.spares}")
    return Spares(capacity=cfg.sandbox.spares)


def build_domain(
    cfg: DictConfig, task: TaskFolder, run_dir: Path, spares: Spares | None = None
) -> ResearchDomain:
    """The search domain of ``cfg`` (operators, sandbox limits, GPUs) on ``task``, running its
    solutions in the sandboxes of ``spares`` (the run's, see :func:`make_spares`)."""
    options = OmegaConf.to_container(cfg.operators, resolve=True)
    assert isinstance(options, dict)
    sandbox = cfg.sandbox
    limits = task_limits(
        task,
        wall_s=sandbox.time_limit_s,
        memory_mb=sandbox.memory_mb,
        cpus=sandbox.cpus,
        nproc=sandbox.nproc,
        disk_mb=sandbox.disk_mb,
        tmpfs_mb=sandbox.tmpfs_mb,
        log_kb=sandbox.log_kb,
    )
    import torch  # imported on use: the command line is checked without it

    gpus = torch.cuda.device_count() if task.spec.wants_gpu else 0
    journal = Journal(run_dir / JOURNAL_FILE)
    return ResearchDomain(
        task=task,
        operators=make_operators(**options, context=OperatorContext(journal, cfg.llm)),
        nodes_dir=run_dir / "nodes",
        journal=journal,
        limits=limits,
        gpus=GpuPool(gpus),
        isolation=None if sandbox.isolation == "auto" else sandbox.isolation,
        novelty_tries=cfg.novelty_tries,
        spares=spares,
    )


class Terminated(Exception):
    """A SIGTERM arrived: the search stops at the next step."""


def stop_on_sigterm() -> threading.Event:
    """An event set by the first SIGTERM (which then restores the default: a second kills)."""
    stop = threading.Event()

    def handle(signum: int, frame: object) -> None:
        log.warning("SIGTERM: stopping after the solution in flight, then writing the report")
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        stop.set()

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, handle)
    return stop


def _progress_fields(tree: SearchTree, task: TaskFolder) -> dict[str, Any]:
    best = tree.best_node()
    buggy = len(tree.buggy_nodes()) / max(1, len(tree))
    shown = best.info["val_score"] if best is not None else float("nan")
    return {"best": float(shown), "nodes": len(tree), "buggy": f"{buggy:.0%}"}


def command_line() -> tuple[list[str] | None, dict[str, str] | None]:
    """The overrides typed on the command line of this hydra job and the config group options
    they chose ((None, None) outside hydra)."""
    from hydra.core.hydra_config import HydraConfig

    if not HydraConfig.initialized():
        return None, None
    hydra = HydraConfig.get()
    return list(hydra.overrides.task), group_choices(hydra.runtime.choices)


def research(cfg: DictConfig, output_dir: str | Path | None = None) -> dict[str, Any]:
    """Run the search of ``cfg`` and return the metrics written to metrics.json.

    With ``resume=true`` the run in ``output_dir`` goes on with its saved config (see
    :func:`research_agent.resume.resume_config`); that config is not written again."""
    run_dir = output_folder(output_dir)
    resumes = 0
    if cfg.resume:
        overrides, choices = command_line()
        cfg = resume_config(cfg, run_dir, overrides, choices)
        resumes = record_resume(run_dir, overrides, Journal(run_dir / JOURNAL_FILE))
    else:
        check_task(cfg.task)
        check_new_run_folder(run_dir)
    ctx = start_run(cfg, run_dir, write_config=not cfg.resume)
    task = load_task(cfg.task, Path(cfg.tasks_dir) if cfg.tasks_dir else None, runner=execute)
    settings = OmegaConf.to_container(cfg.search, resolve=True)
    assert isinstance(settings, dict)
    name = settings["name"]
    policy = make_policy(name, settings, cfg.workers)
    spares = make_spares(cfg)  # closed once the solution is chosen (else when the process ends)
    domain = build_domain(cfg, task, ctx.output_dir, spares)
    log.info("task %s, %s search, sandbox %s", task.spec.id, name, isolation_backend())
    ray_settings = RaySettings(**cfg.ray)
    executor = make_executor(
        cfg.executor, cfg.workers, domain, settings=ray_settings, cpus=cfg.sandbox.cpus
    )
    choice = cfg.selection
    seconds = search_time(task, cfg.budget.time, choice.folds, choice.time_fraction)
    stop, started = stop_on_sigterm(), time.perf_counter()
    with progress_bar(cfg.budget.steps, f"{task.spec.id}/{name}", cfg.run.progress) as bar:

        def on_step(tree: SearchTree, nodes: list[Node]) -> None:
            bar.advance(len(nodes), **_progress_fields(tree, task))
            if stop.is_set():
                raise Terminated

        try:
            outcome = run_search(
                policy,
                domain,
                ctx.output_dir,
                budget_steps=cfg.budget.steps,
                budget_seconds=seconds,
                workers=cfg.workers,
                resume=cfg.resume,
                on_step=on_step,
                executor=executor,
                start_from_baseline=cfg.start_from_baseline,
            )
        except Terminated:
            executed = sum(run_time(node.info) for node in policy.tree)
            elapsed = time.perf_counter() - started
            outcome = SearchOutcome(policy.tree, domain.journal, elapsed, executed, 0)
    left = None if cfg.budget.time is None else max(0.0, cfg.budget.time - outcome.seconds)
    left = 0.0 if stop.is_set() else left
    selection = select_solution(
        task,
        outcome.tree,
        ctx.output_dir,
        folds=choice.folds,
        size=choice.candidates,
        limits=domain.limits,
        isolation=domain.isolation,
        seconds=left,
        ensemble=choice.ensemble,
        spares=spares,
    )
    spares.close()
    about = {
        "policy": name,
        "search_seed": settings["seed"],
        "resumed": resumes > 0,
        "resumes": resumes,
        "replayed_nodes": outcome.replayed,
        "terminated": stop.is_set(),
    }
    metrics = finish(task, outcome.tree, selection, ctx.output_dir, outcome.journal, about)
    metrics.update(search_seconds=outcome.seconds, executed_seconds=outcome.executed_seconds)
    ctx.write_metrics(metrics)
    return metrics


def finish(
    task: TaskFolder,
    tree: SearchTree,
    selection: Selection,
    run_dir: Path,
    journal: Journal,
    about: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Grade the selected solution on the test labels, write the report; return the summary
    (``about``: what the report's table shows of the run besides, e.g. whether it resumed)."""
    best = selection.chosen
    held_out = held_out_scores(task, selection, run_dir)  # once, after the choice
    gain = None
    if best is not None:
        workspace = run_dir / "nodes" / best.payload["key"] / "workspace"
        gain = gain_over_baseline(task, workspace, "val")
        (run_dir / "best_solution.py").write_text(best.payload["code"])
    test_score = held_out["test_score"]
    metrics: dict[str, Any] = {
        "task": task.spec.id,
        "metric": task.spec.metric,
        "direction": task.spec.direction,
        "nodes": len(tree),
        "buggy_nodes": len(tree.buggy_nodes()),
        "best_node": None if best is None else best.id,
        "best_val_score": None if best is None else best.info["val_score"],
        "test_score": test_score,
        "test_error": held_out["test_error"],
        "best_val_node": held_out.get("best_val_node"),
        "best_val_node_test_score": held_out.get("best_val_node_test_score"),
        "baseline_val_score": task.spec.baseline_score,
        "val_gain_over_baseline": gain,
        "medal": task.spec.medal(test_score),
        **(about or {}),
        "selection": selection.to_dict(),
    }
    if is_speedrun(task.spec.id):  # the speedrun metric: the fraction of the speedup recovered
        try:
            metrics["val_fsr"] = task_fsr(task, metrics["best_val_score"])
            metrics["test_fsr"] = task_fsr(task, test_score)
        except ValueError as exc:  # its two records timed alike on this machine
            log.warning("no FSR: %s", exc)
            metrics["val_fsr"] = metrics["test_fsr"] = None
    plot = plot_curve(score_curve(journal.nodes(), task), task, run_dir / "score_vs_time.png")
    (run_dir / "tree.json").write_text(json.dumps(tree.to_dict(), indent=1, default=str))
    write_report(run_dir / "report.md", task, tree, best, metrics, plot)
    return metrics


@hydra_entry_point("research")
def main(cfg: DictConfig) -> None:
    try:
        research(cfg)
    except UsageError as error:  # one line, exit code 2, as the preflight checks give
        exit_with_usage_error(error)


if __name__ == "__main__":
    sys.argv[1:] = with_run_groups(sys.argv[1:])  # a resume composes the run's own groups
    main()
