"""Uniform-cost search and A* on problems with known optimal plans."""

from __future__ import annotations

import itertools

import pytest

from planning.shortest_path import shortest_plan

GRAPH = {  # the cheapest way from a to d is a-b-c-d (cost 4), not the direct a-d (cost 10)
    "a": [("ab", "b", 1.0), ("ad", "d", 10.0)],
    "b": [("bc", "c", 2.0)],
    "c": [("cd", "d", 1.0)],
    "d": [],
    "e": [],
}


def test_the_cheapest_plan_is_found_not_the_shortest():
    plan = shortest_plan("a", lambda s: GRAPH[s], lambda s: s == "d")
    assert plan is not None
    assert plan.actions == ("ab", "bc", "cd") and plan.cost == 4.0 and plan.final == "d"


def test_an_unreachable_goal_gives_none_and_bad_costs_are_named():
    assert shortest_plan("a", lambda s: GRAPH[s], lambda s: s == "e") is None
    with pytest.raises(ValueError, match="negative cost"):
        shortest_plan("x", lambda s: [("back", "y", -1.0)], lambda s: False)


def _tour_cost(points: list[tuple[int, int]], order: tuple[int, ...]) -> float:
    here, total = (0, 0), 0.0
    for i in order:
        total += abs(points[i][0] - here[0]) + abs(points[i][1] - here[1])
        here = points[i]
    return total


def test_a_star_and_uniform_cost_match_brute_force_on_visiting_points():
    points = [(3, 1), (-2, 4), (5, -3), (0, -2), (-4, -1)]

    def successors(state):
        here, left = state
        for i in left:
            step = abs(points[i][0] - points[here][0]) + abs(points[i][1] - points[here][1])
            yield i, (i, left - {i}), float(step)

    points.append((0, 0))  # index 5: the start
    start = (5, frozenset(range(5)))
    done = lambda state: not state[1]  # noqa: E731
    brute = min(_tour_cost(points, order) for order in itertools.permutations(range(5)))
    plain = shortest_plan(start, successors, done)

    def nearest(state):  # admissible: the farthest unvisited point must still be reached
        here, left = state
        return max(
            (abs(points[i][0] - points[here][0]) + abs(points[i][1] - points[here][1]))
            for i in left
        ) if left else 0.0  # fmt: skip

    guided = shortest_plan(start, successors, done, heuristic=nearest)
    assert plain is not None and guided is not None
    assert plain.cost == guided.cost == brute
    assert _tour_cost(points, guided.actions) == brute
