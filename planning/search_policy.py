"""The loop shared by the tree-search policies (Greedy, MCTS, Evolutionary).

A step asks the policy for up to ``parallel`` proposals (an operator and parent node ids), turns
them into :class:`ExpansionJob` objects, runs them as one batch through an executor and adds the
results to the tree in submission order. Job seeds depend only on the policy seed and the id the
child will get, so a run is deterministic under its seed whichever executor runs the jobs.
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np

from planning.budget import Budget
from planning.checkpoint import load_state, save_state
from planning.domain import Expansion, ExpansionJob, Operator, SearchDomain, is_terminal
from planning.executors import Executor, InlineExecutor
from planning.tree import Node, SearchTree


def require(ok: bool, config: object, name: str, valid: str) -> None:
    """Raise a ValueError naming ``config.name``, its value and the valid range unless ``ok``."""
    if not ok:
        value = getattr(config, name)
        raise ValueError(f"{type(config).__name__}.{name} must be {valid}, got {value!r}")


@dataclass
class SearchConfig:
    """Settings every policy has: the seed of all its randomness and the batch size."""

    seed: int = 0
    parallel: int = 1

    def validate(self) -> None:
        """Raise a ValueError naming the first field out of range."""
        require(isinstance(self.seed, int) and self.seed >= 0, self, "seed", "an int >= 0")
        require(self.parallel >= 1, self, "parallel", ">= 1")


@dataclass(frozen=True)
class Proposal:
    """An operator to apply to existing nodes."""

    operator: Operator
    parents: tuple[int, ...] = ()


class SearchPolicy(ABC):
    """Base class: subclasses choose proposals and react to new nodes."""

    def __init__(self, config: SearchConfig) -> None:
        config.validate()
        self.config = config
        self.tree = SearchTree()
        self.num_steps = 0
        self.rng = np.random.default_rng(config.seed)

    @abstractmethod
    def _propose(self, domain: SearchDomain, limit: int) -> list[Proposal]:
        """Up to ``limit`` proposals; proposal k will become node ``len(self.tree) + k``."""

    def _integrate(self, node: Node, domain: SearchDomain) -> None:
        """React to a node just added to the tree (nothing by default)."""
        return None

    def _extra_state(self) -> dict[str, Any]:
        """Policy-specific state for checkpoints."""
        return {}

    def _load_extra_state(self, state: dict[str, Any]) -> None:
        """Restore what :meth:`_extra_state` returned (nothing by default)."""
        return None

    def add_initial(self, expansion: Expansion, domain: SearchDomain) -> Node:
        """Put a solution made outside the search (a task's baseline, a user's program) into
        the still empty tree as a draft, which the policy then treats as its first draft."""
        if len(self.tree):
            raise ValueError(f"initial solutions go into an empty tree; it has {len(self.tree)}")
        node = self.tree.add(expansion, "draft", (), self.num_steps)
        self._integrate(node, domain)
        return node

    def job_seed(self, node_id: int) -> int:
        """The seed handed to the domain for the job that creates ``node_id``."""
        return int(np.random.SeedSequence([self.config.seed, node_id]).generate_state(1)[0])

    def best_open_node(self, domain: SearchDomain) -> Node | None:
        """The best good node that is not terminal, or None."""
        good = [n for n in self.tree.good_nodes() if not is_terminal(domain, n.payload)]
        return max(good, key=lambda n: n.score) if good else None

    def step(
        self, domain: SearchDomain, executor: Executor | None = None, max_jobs: int | None = None
    ) -> list[Node]:
        """Run one batch of at most ``parallel`` (and ``max_jobs``) expansions; return new nodes."""
        limit = self.config.parallel if max_jobs is None else min(self.config.parallel, max_jobs)
        proposals = self._propose(domain, limit)
        first_id = len(self.tree)
        jobs = [
            ExpansionJob(
                operator=p.operator,
                parents=tuple(self.tree[i].as_parent() for i in p.parents),
                seed=self.job_seed(first_id + k),
            )
            for k, p in enumerate(proposals)
        ]
        results = (executor or InlineExecutor()).map(domain.expand, jobs) if jobs else []
        nodes = []
        for proposal, result in zip(proposals, results, strict=True):
            node = self.tree.add(result, proposal.operator, proposal.parents, self.num_steps)
            self._integrate(node, domain)
            nodes.append(node)
        self.num_steps += 1
        return nodes

    def run(
        self,
        domain: SearchDomain,
        budget: Budget,
        executor: Executor | None = None,
        checkpoint_path: str | os.PathLike | None = None,
    ) -> SearchTree:
        """Step until ``budget`` is exhausted or nothing is left to expand; return the tree.

        Budget steps count expansions. With ``checkpoint_path`` the state is saved atomically
        after every step, and an existing file is resumed from: its expansions count towards
        ``budget.max_steps``.
        """
        if checkpoint_path is not None and Path(checkpoint_path).exists():
            self.load_state_dict(load_state(checkpoint_path))
            budget.steps = max(budget.steps, len(self.tree))
        executor = executor or InlineExecutor()
        while not budget.exhausted():
            remaining = None if budget.max_steps is None else budget.max_steps - budget.steps
            nodes = self.step(domain, executor, max_jobs=remaining)
            if not nodes:
                break
            budget.tick(len(nodes))
            if checkpoint_path is not None:
                save_state(checkpoint_path, self.state_dict())
        return self.tree

    def state_dict(self) -> dict[str, Any]:
        """Everything needed to continue the search exactly where it stands."""
        return {
            "policy": type(self).__name__,
            "config": asdict(self.config),
            "tree": self.tree.to_dict(),
            "num_steps": self.num_steps,
            "rng": self.rng.bit_generator.state,
            "extra": self._extra_state(),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore :meth:`state_dict`; a foreign or mismatched state raises ValueError."""
        try:
            policy, config = state["policy"], state["config"]
            if policy != type(self).__name__:
                raise ValueError(f"checkpoint is for {policy}, not {type(self).__name__}")
            mine = asdict(self.config)
            diff = sorted(f.name for f in fields(self.config) if config.get(f.name) != mine[f.name])
            if diff:
                raise ValueError(f"checkpoint config differs from this policy's in {diff}")
            self.tree = SearchTree.from_dict(state["tree"])
            self.num_steps = state["num_steps"]
            self.rng.bit_generator.state = state["rng"]
            self._load_extra_state(state["extra"])
        except (KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"search state is malformed ({type(exc).__name__}: {exc})") from exc
