"""Shortest collision-free paths of a round base on a floor grid among rectangular obstacles."""

from __future__ import annotations

import heapq
import math

import numpy as np

Rect = tuple[float, float, float, float]  # x_min, y_min, x_max, y_max


class FloorGrid:
    """An occupancy grid of ``bounds`` at ``cell`` metres: a cell is blocked when a base of
    ``radius`` at its centre would overlap an obstacle or leave the bounds."""

    def __init__(self, bounds: Rect, obstacles: list[Rect], radius: float, cell: float = 0.1):
        self.bounds, self.cell = bounds, cell
        xs = np.arange(bounds[0] + cell / 2, bounds[2], cell)
        ys = np.arange(bounds[1] + cell / 2, bounds[3], cell)
        self.xs, self.ys = xs, ys
        gx, gy = np.meshgrid(xs, ys, indexing="ij")
        blocked = (gx < bounds[0] + radius) | (gx > bounds[2] - radius)
        blocked |= (gy < bounds[1] + radius) | (gy > bounds[3] - radius)
        for x0, y0, x1, y1 in obstacles:
            dx = np.maximum(np.maximum(x0 - gx, gx - x1), 0.0)
            dy = np.maximum(np.maximum(y0 - gy, gy - y1), 0.0)
            blocked |= np.hypot(dx, dy) < radius
        self.blocked = blocked

    def _cell(self, point: np.ndarray) -> tuple[int, int]:
        i = int(np.clip((point[0] - self.bounds[0]) // self.cell, 0, len(self.xs) - 1))
        j = int(np.clip((point[1] - self.bounds[1]) // self.cell, 0, len(self.ys) - 1))
        return i, j

    def path(self, start: np.ndarray, goal: np.ndarray) -> list[np.ndarray]:
        """Waypoints from ``start`` to ``goal`` (A*, 8-connected; start and goal cells may be
        blocked, the cells between may not); a straight line when no path exists."""
        begin, end = self._cell(start), self._cell(goal)
        costs = {begin: 0.0}
        parents: dict[tuple[int, int], tuple[int, int]] = {}
        frontier = [(0.0, begin)]
        while frontier:
            _, here = heapq.heappop(frontier)
            if here == end:
                break
            for di in (-1, 0, 1):
                for dj in (-1, 0, 1):
                    there = (here[0] + di, here[1] + dj)
                    if not (0 <= there[0] < len(self.xs) and 0 <= there[1] < len(self.ys)):
                        continue
                    if self.blocked[there] and there != end:
                        continue
                    cost = costs[here] + math.hypot(di, dj)
                    if cost < costs.get(there, math.inf):
                        costs[there], parents[there] = cost, here
                        rest = math.hypot(there[0] - end[0], there[1] - end[1])
                        heapq.heappush(frontier, (cost + rest, there))
        if end not in costs:
            return [np.asarray(goal, float)]
        cells = [end]
        while cells[-1] != begin:
            cells.append(parents[cells[-1]])
        points = [np.array([self.xs[i], self.ys[j]]) for i, j in reversed(cells[:-1])]
        return [*points[:-1], np.asarray(goal, float)] if points else [np.asarray(goal, float)]
