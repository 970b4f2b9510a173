"""Monte Carlo tree search over solutions, following aira-dojo's MCTS solver.

* A virtual root holds the drafts. Selection descends from the root by UCT until it reaches a
  node that may take another child; that node is expanded with "draft" (root) or "improve".
  A node may take ``num_children`` children, or ``ceil(pw_k * visits ** pw_alpha)`` with
  progressive widening (``pw_k`` set), for continuous domains.
* UCT = normalised Q + uct_c * sqrt(ln N_parent / N_child), Q min-max normalised over every
  value backed up so far (0.5 while all are equal). As in aira-dojo an unvisited child scores
  -inf: it is chosen only when no visited sibling exists. Unvisited nodes are buggy nodes whose
  debug chain has not produced a fix.
* A buggy child opens a debug chain: each step first schedules "debug" on open chain tips, up to
  ``max_debug_depth``. A good node's value is backed up to every ancestor (visits and value
  sums), so a fixed debug node credits its whole debug chain and the path above it.
* ``max_weight`` mixes the best value backed up through a node into its Q ("mixmax"):
  ``Q = (1 - max_weight) * mean + max_weight * max``. 0 (the default) is aira-dojo's mean
  backup; towards 1 a branch is credited with the best solution found in it, as fits
  single-player optimisation, where only the best solution counts.
* A domain with a finite set of children per node (discrete actions) may define
  ``max_children(payload) -> int``: how many distinct children ``payload`` has (``payload`` is
  None for the virtual root). A node never takes more, so the search descends past a node whose
  children are all there instead of asking the domain for one that does not exist.
* ``value_fn(payload)``, if given, is blended into the backed-up value:
  ``(1 - value_weight) * score + value_weight * value_fn(payload)``; with the default
  ``value_weight=1`` it replaces the score (e.g. a world model's value estimate).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from planning.domain import SearchDomain, is_terminal
from planning.search_policy import Proposal, SearchConfig, SearchPolicy, require
from planning.tree import Node

ROOT = -1
ValueFn = Callable[[Any], float]


@dataclass
class MCTSConfig(SearchConfig):
    """Defaults are aira-dojo's MLE-bench values; progressive widening is off (pw_k=None)."""

    uct_c: float = 0.25
    num_children: int = 5
    max_debug_depth: int = 20
    pw_k: float | None = None
    pw_alpha: float = 0.5
    value_weight: float = 1.0
    max_weight: float = 0.0

    def validate(self) -> None:
        super().validate()
        require(self.uct_c >= 0, self, "uct_c", ">= 0")
        require(self.num_children >= 1, self, "num_children", ">= 1")
        require(self.max_debug_depth >= 0, self, "max_debug_depth", ">= 0")
        require(self.pw_k is None or self.pw_k > 0, self, "pw_k", "None or > 0")
        require(0 < self.pw_alpha <= 1, self, "pw_alpha", "in (0, 1]")
        require(0 <= self.value_weight <= 1, self, "value_weight", "in [0, 1]")
        require(0 <= self.max_weight <= 1, self, "max_weight", "in [0, 1]")


def domain_max_children(domain: SearchDomain, payload: Any) -> int | None:
    """How many children ``domain`` says ``payload`` has (None: it does not say)."""
    count = getattr(domain, "max_children", None)
    return None if count is None else int(count(payload))


class MCTS(SearchPolicy):
    """UCT search with debug chains and optional progressive widening and value function."""

    config: MCTSConfig

    def __init__(self, config: MCTSConfig | None = None, value_fn: ValueFn | None = None) -> None:
        super().__init__(config or MCTSConfig())
        self.value_fn = value_fn
        self.root_visits = 0
        self.value_min = math.inf
        self.value_max = -math.inf
        self.best_value: dict[int, float] = {}

    def _propose(self, domain: SearchDomain, limit: int) -> list[Proposal]:
        tips = self.tree.debuggable_leaves(self.config.max_debug_depth)
        proposals = [Proposal("debug", (n.id,)) for n in tips[:limit]]
        pending: Counter[int] = Counter()
        while len(proposals) < limit:
            target = self._select(domain, pending)
            if target is None:
                break
            pending[target] += 1
            proposals.append(
                Proposal("draft") if target == ROOT else Proposal("improve", (target,))
            )
        return proposals

    def _integrate(self, node: Node, domain: SearchDomain) -> None:
        if node.is_buggy:
            return
        value = self._backed_up_value(node)
        for node_id in self.tree.ancestors(node.id):
            self.tree[node_id].visits += 1
            self.tree[node_id].value_sum += value
            self.best_value[node_id] = max(self.best_value.get(node_id, -math.inf), value)
        self.root_visits += 1
        self.value_min = min(self.value_min, value)
        self.value_max = max(self.value_max, value)

    def _backed_up_value(self, node: Node) -> float:
        assert node.score is not None
        if self.value_fn is None:
            return node.score
        w = self.config.value_weight
        return (1 - w) * node.score + w * float(self.value_fn(node.payload))

    def _select(self, domain: SearchDomain, pending: Counter[int]) -> int | None:
        """Descend by UCT to the first node that can take a child; None if all are closed."""
        current = ROOT
        while not self._expandable(current, domain, pending):
            open_children = [
                c for c in self._children(current) if not self._closed(c, domain, pending)
            ]
            if not open_children:
                return None
            parent_visits = self._visits(current)
            current = max(open_children, key=lambda c: self._uct(self.tree[c], parent_visits))
        return current

    def _children(self, node_id: int) -> list[int]:
        return (
            [n.id for n in self.tree.draft_nodes()]
            if node_id == ROOT
            else self.tree[node_id].children
        )

    def _visits(self, node_id: int) -> int:
        return self.root_visits if node_id == ROOT else self.tree[node_id].visits

    def _max_children(self, visits: int) -> int:
        if self.config.pw_k is None:
            return self.config.num_children
        return max(1, math.ceil(self.config.pw_k * visits**self.config.pw_alpha))

    def _expandable(self, node_id: int, domain: SearchDomain, pending: Counter[int]) -> bool:
        payload = None
        if node_id != ROOT:
            node = self.tree[node_id]
            if node.is_buggy or is_terminal(domain, node.payload):
                return False
            payload = node.payload
        limit = self._max_children(self._visits(node_id))
        cap = domain_max_children(domain, payload)
        if cap is not None:
            limit = min(limit, cap)
        return len(self._children(node_id)) + pending[node_id] < limit

    def _closed(self, node_id: int, domain: SearchDomain, pending: Counter[int]) -> bool:
        """True if neither the node nor any descendant can take a child."""
        stack = [node_id]
        while stack:
            current = stack.pop()
            if self._expandable(current, domain, pending):
                return False
            stack.extend(self._children(current))
        return True

    def _uct(self, node: Node, parent_visits: int) -> float:
        if node.visits == 0:
            return -math.inf
        w = self.config.max_weight
        value = (1 - w) * node.q_value + w * self.best_value[node.id]
        span = self.value_max - self.value_min
        q = 0.5 if span == 0 else (value - self.value_min) / span
        return q + self.config.uct_c * math.sqrt(math.log(parent_visits) / node.visits)

    def _extra_state(self) -> dict[str, Any]:
        return {
            "root_visits": self.root_visits,
            "value_min": self.value_min,
            "value_max": self.value_max,
            "best_value": dict(self.best_value),
        }

    def _load_extra_state(self, state: dict[str, Any]) -> None:
        self.root_visits = state["root_visits"]
        self.value_min = state["value_min"]
        self.value_max = state["value_max"]
        self.best_value = dict(state["best_value"])
