"""The search loop of a research run: policy steps, journal, checkpoint, resume, progress.

After every batch the new nodes are recorded in the journal; the policy's state is saved
after the first batch, then when ``checkpoint_seconds`` have passed since the last save, and
when the search ends (a save writes the whole tree, code and all: every batch, it cost 1.7% of
a 120 s run of 150 solutions). On resume the policy restarts from its checkpoint and
re-proposes the same jobs (proposals and job seeds are deterministic under the policy seed);
executions the journal already holds, including those the checkpoint lacks, are replayed
instead of rerun, so a kill loses no finished solution, only up to ``checkpoint_seconds`` of
the time spent counted against the budget.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from planning.budget import Budget
from planning.checkpoint import load_state, save_state
from planning.evolutionary import Evolutionary, EvolutionaryConfig
from planning.executors import Executor, InlineExecutor, ThreadExecutor
from planning.greedy import Greedy, GreedyConfig
from planning.mcts import MCTS, MCTSConfig
from planning.search_policy import SearchPolicy
from planning.tree import Node, SearchTree
from research_agent.execution.distributed import JournalledExecutor
from research_agent.journal import Journal
from research_agent.research_domain import ResearchDomain, run_time

POLICIES: dict[str, tuple[type[SearchPolicy], type]] = {
    "greedy": (Greedy, GreedyConfig),
    "mcts": (MCTS, MCTSConfig),
    "evolutionary": (Evolutionary, EvolutionaryConfig),
}
STATE_FILE = "search_state.pt"
JOURNAL_FILE = "journal.jsonl"
StepCallback = Callable[[SearchTree, list[Node]], None]


def make_policy(name: str, settings: Mapping[str, Any], workers: int = 1) -> SearchPolicy:
    """The policy ``name`` (greedy, mcts, evolutionary) with ``settings`` (a ``search``
    group's: the ``name`` they hold, if any, must be ``name``); one job per worker."""
    if name not in POLICIES:
        raise ValueError(f"unknown search policy {name!r}; known: {sorted(POLICIES)}")
    if settings.get("name", name) != name:
        raise ValueError(f"the search settings of {settings['name']!r} given for policy {name!r}")
    policy_cls, config_cls = POLICIES[name]
    options = {key: value for key, value in settings.items() if key != "name"}
    return policy_cls(config_cls(**{**options, "parallel": workers}))


@dataclass
class SearchOutcome:
    """What a finished (or budget-stopped) search leaves behind; the seconds include those
    spent before a resume, ``executed_seconds`` those spent running and grading solutions,
    ``replayed`` counts executions taken from the journal this time."""

    tree: SearchTree
    journal: Journal
    seconds: float
    executed_seconds: float
    replayed: int


def run_search(
    policy: SearchPolicy,
    domain: ResearchDomain,
    run_dir: Path,
    budget_steps: int | None,
    budget_seconds: float | None,
    workers: int = 1,
    resume: bool = False,
    on_step: StepCallback | None = None,
    executor: Executor | None = None,
    start_from_baseline: bool = False,
    checkpoint_seconds: float = 5.0,
) -> SearchOutcome:
    """Search until the budget is spent; seconds spent before a resume count towards it.

    ``executor`` runs the solutions (default: ``workers`` threads); a job that comes back
    without a solution is journalled as a buggy node. With ``start_from_baseline`` the task's
    baseline solution is run first and becomes the policy's first draft (node 0). The policy's
    state is saved at most every ``checkpoint_seconds`` (0: after every batch) and at the end."""
    state_path, journal = run_dir / STATE_FILE, domain.journal
    if (state_path.exists() or journal.path.exists()) and not resume:
        raise FileExistsError(
            f"{run_dir} already holds a search; pass resume=true or use another run folder"
        )
    spent = executed = 0.0
    if state_path.exists():
        state = load_state(state_path)
        policy.load_state_dict(state["policy"])
        spent, executed = state["seconds"], state["executed_seconds"]
    domain.resume_from(journal.executions())
    recorded = {r["id"] for r in journal.records() if r.get("kind") == "node"}
    remaining = None if budget_seconds is None else budget_seconds - spent
    if remaining is not None and remaining <= 0:
        return SearchOutcome(policy.tree, journal, spent, executed, 0)
    budget = Budget(budget_steps, remaining, steps=len(policy.tree))
    replayed = 0
    last_save = -float("inf")

    def checkpoint() -> None:
        """Save the policy's state with the time spent and executed so far."""
        nonlocal last_save
        state = {
            "policy": policy.state_dict(),
            "seconds": spent + budget.elapsed,
            "executed_seconds": executed,
        }
        save_state(state_path, state)
        last_save = time.monotonic()

    def record(nodes: list[Node]) -> None:
        """Journal the new nodes, count their execution time, save the policy's state when a
        checkpoint is due."""
        nonlocal replayed, executed
        budget.tick(len(nodes))
        for node in nodes:
            if node.id not in recorded:
                journal.append({"kind": "node", "id": node.id, "key": node.payload["key"]})
            if node.payload["key"] in domain.replay:
                replayed += 1
            else:
                executed += run_time(node.info)
        if time.monotonic() - last_save >= checkpoint_seconds:
            checkpoint()
        if on_step is not None:
            on_step(policy.tree, nodes)

    if start_from_baseline and not len(policy.tree) and not budget.exhausted():
        record([policy.add_initial(domain.baseline(), domain)])
    executor = executor or (ThreadExecutor(workers) if workers > 1 else InlineExecutor())
    with JournalledExecutor(executor, domain) as runner:
        while not budget.exhausted():
            left = None if budget.max_steps is None else budget.max_steps - budget.steps
            nodes = policy.step(domain, runner, max_jobs=left)
            if not nodes:
                break
            record(nodes)
    checkpoint()
    return SearchOutcome(policy.tree, journal, spent + budget.elapsed, executed, replayed)
