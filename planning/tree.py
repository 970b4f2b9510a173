"""The search journal: every node a policy created, with its lineage and statistics."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from planning.domain import Expansion, Operator, Parent


@dataclass
class Node:
    """One proposed solution.

    ``parents`` is empty for drafts, one id for improve/debug, two for crossover.
    ``visits`` and ``value_sum`` are backed-up statistics (MCTS); ``debug_depth`` counts the
    consecutive debug steps that led to this node (0 for a node that is not a debug child).
    """

    id: int
    payload: Any
    operator: Operator
    parents: tuple[int, ...] = ()
    children: list[int] = field(default_factory=list)
    step: int = 0
    score: float | None = None
    is_buggy: bool = False
    info: dict[str, Any] = field(default_factory=dict)
    visits: int = 0
    value_sum: float = 0.0
    debug_depth: int = 0

    @property
    def is_leaf(self) -> bool:
        return not self.children

    @property
    def q_value(self) -> float:
        """Mean backed-up value (0 when unvisited)."""
        return self.value_sum / self.visits if self.visits else 0.0

    def as_parent(self) -> Parent:
        """The view of this node that a domain receives."""
        return Parent(self.id, self.payload, self.score, self.is_buggy, dict(self.info))


class SearchTree:
    """All nodes by id (ids are 0, 1, 2, ... in creation order)."""

    def __init__(self) -> None:
        self.nodes: list[Node] = []

    def __len__(self) -> int:
        return len(self.nodes)

    def __getitem__(self, node_id: int) -> Node:
        return self.nodes[node_id]

    def add(
        self, expansion: Expansion, operator: Operator, parents: tuple[int, ...], step: int
    ) -> Node:
        """Append a node for ``expansion`` and link it to its parents."""
        debug_depth = self.nodes[parents[0]].debug_depth + 1 if operator == "debug" else 0
        node = Node(
            id=len(self.nodes),
            payload=expansion.payload,
            operator=operator,
            parents=parents,
            step=step,
            score=expansion.score,
            is_buggy=expansion.is_buggy,
            info=dict(expansion.info),
            debug_depth=debug_depth,
        )
        self.nodes.append(node)
        for parent_id in parents:
            self.nodes[parent_id].children.append(node.id)
        return node

    def draft_nodes(self) -> list[Node]:
        """Nodes created from scratch."""
        return [n for n in self.nodes if not n.parents]

    def buggy_nodes(self) -> list[Node]:
        return [n for n in self.nodes if n.is_buggy]

    def good_nodes(self) -> list[Node]:
        """Nodes that ran and have a score."""
        return [n for n in self.nodes if not n.is_buggy]

    def debuggable_leaves(self, max_debug_depth: int) -> list[Node]:
        """Buggy nodes without children whose debug chain may still grow."""
        return [
            n for n in self.nodes if n.is_buggy and n.is_leaf and n.debug_depth < max_debug_depth
        ]

    def best_node(self) -> Node | None:
        """The good node with the highest score (earliest on ties), or None."""
        good = self.good_nodes()
        return max(good, key=lambda n: n.score) if good else None

    def ancestors(self, node_id: int) -> list[int]:
        """``node_id`` and every node it descends from, each once, nearest first."""
        seen: list[int] = []
        stack = [node_id]
        while stack:
            current = stack.pop(0)
            if current not in seen:
                seen.append(current)
                stack.extend(self.nodes[current].parents)
        return seen

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form for checkpoints."""
        return {"nodes": [asdict(n) for n in self.nodes]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SearchTree:
        tree = cls()
        for raw in data["nodes"]:
            tree.nodes.append(Node(**{**raw, "parents": tuple(raw["parents"])}))
        return tree
