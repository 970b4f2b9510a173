"""Optimal plans over discrete transitions: uniform-cost search, or A* with a heuristic.

A problem is a start state (hashable), ``successors(state)`` giving ``(action, next_state,
cost)`` triples with costs ≥ 0, and ``is_goal(state)``. With an admissible ``heuristic`` (never
above the true cost to go) the search is A*; without one it is uniform-cost search (Dijkstra).
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

State = TypeVar("State", bound=Hashable)


@dataclass(frozen=True)
class Plan(Generic[State]):
    """The actions of a cheapest plan, its total cost and the goal state it reaches."""

    actions: tuple[Any, ...]
    cost: float
    final: State


def shortest_plan(
    start: State,
    successors: Callable[[State], Iterable[tuple[Any, State, float]]],
    is_goal: Callable[[State], bool],
    heuristic: Callable[[State], float] | None = None,
    max_expansions: int = 1_000_000,
) -> Plan[State] | None:
    """A cheapest plan from ``start`` to a goal state, or None when no goal is reachable."""
    h = heuristic or (lambda state: 0.0)
    tie = itertools.count()  # equal priorities pop in insertion order, never comparing states
    frontier: list[tuple[float, int, float, State, tuple[Any, ...]]] = [
        (h(start), next(tie), 0.0, start, ())
    ]
    best = {start: 0.0}
    expanded = 0
    while frontier:
        _, _, cost, state, actions = heapq.heappop(frontier)
        if cost > best.get(state, math.inf):
            continue  # a cheaper way here was found after this entry was queued
        if is_goal(state):
            return Plan(actions, cost, state)
        expanded += 1
        if expanded > max_expansions:
            raise RuntimeError(f"no plan within max_expansions={max_expansions} expansions")
        for action, successor, step in successors(state):
            if step < 0:
                raise ValueError(f"action {action!r} has a negative cost {step}")
            total = cost + step
            if total < best.get(successor, math.inf):
                best[successor] = total
                entry = (total + h(successor), next(tie), total, successor, (*actions, action))
                heapq.heappush(frontier, entry)
    return None
