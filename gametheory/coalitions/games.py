"""Characteristic-function games: n players and a vectorised value of coalition masks.

A coalition is a boolean mask over players; ``game.values(masks)`` maps a (C, n) mask
array to C values. Anything with ``num_players`` and such a ``values`` method is a game,
e.g. ``FunctionGame(n, fn)`` for sensors credited by prediction quality per modality subset.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np


class Game(Protocol):
    """A transferable-utility game in characteristic-function form."""

    num_players: int

    def values(self, masks: np.ndarray) -> np.ndarray:
        """Values of the coalitions given as a (C, n) boolean mask array."""
        ...


def grand_value(game: Game) -> float:
    """v(N), the value of the grand coalition."""
    return float(game.values(np.ones((1, game.num_players), dtype=bool))[0])


def all_coalitions(num_players: int) -> np.ndarray:
    """All 2^n masks; row k is the coalition whose bit i (of k) says whether i is in it."""
    codes = np.arange(1 << num_players)
    return ((codes[:, None] >> np.arange(num_players)) & 1).astype(bool)


def random_coalitions(num_players: int, count: int, rng: np.random.Generator) -> np.ndarray:
    """``count`` coalitions, each player joining independently with probability ½."""
    return rng.random((count, num_players)) < 0.5


@dataclass(frozen=True)
class FunctionGame:
    """A game from any vectorised value function over coalition masks."""

    num_players: int
    function: Callable[[np.ndarray], np.ndarray]

    def values(self, masks: np.ndarray) -> np.ndarray:
        return np.asarray(self.function(np.asarray(masks, dtype=bool)), dtype=np.float64)


@dataclass(frozen=True)
class WeightedVotingGame:
    """v(S) = 1 when the weights in S reach the quota (Σ_{i∈S} w_i ≥ q), else 0."""

    weights: np.ndarray
    quota: float

    @property
    def num_players(self) -> int:
        return len(self.weights)

    def values(self, masks: np.ndarray) -> np.ndarray:
        return (np.asarray(masks, dtype=np.float64) @ np.asarray(self.weights) >= self.quota) * 1.0


@dataclass(frozen=True)
class InducedSubgraphGame:
    """v(S) = total weight of the edges with both endpoints in S (symmetric weight matrix)."""

    edge_weights: np.ndarray

    @property
    def num_players(self) -> int:
        return len(self.edge_weights)

    def values(self, masks: np.ndarray) -> np.ndarray:
        m = np.asarray(masks, dtype=np.float64)
        upper = np.triu(np.asarray(self.edge_weights, dtype=np.float64), 1)
        return ((m @ upper) * m).sum(axis=1)


@dataclass(frozen=True)
class Rule:
    """An MC-net rule: pays ``value`` to coalitions holding all of ``present`` and none of
    ``absent``."""

    present: Sequence[int]
    absent: Sequence[int]
    value: float


class MarginalContributionNet:
    """v(S) = sum of the values of the rules that S satisfies."""

    def __init__(self, num_players: int, rules: Sequence[Rule]):
        self.num_players = num_players
        self.present = np.zeros((len(rules), num_players))
        self.absent = np.zeros((len(rules), num_players))
        for k, rule in enumerate(rules):
            self.present[k, list(rule.present)] = 1.0
            self.absent[k, list(rule.absent)] = 1.0
        self.rule_values = np.array([rule.value for rule in rules], dtype=np.float64)

    def values(self, masks: np.ndarray) -> np.ndarray:
        m = np.asarray(masks, dtype=np.float64)
        fires = (m @ self.present.T == self.present.sum(axis=1)) & (m @ self.absent.T == 0)
        return fires @ self.rule_values


class TabularGame:
    """A game given by the values of all 2^n coalitions, indexed by bitmask (bit i = player i)."""

    def __init__(self, table: Sequence[float] | np.ndarray):
        self.table = np.asarray(table, dtype=np.float64)
        self.num_players = int(np.log2(len(self.table)))
        if 1 << self.num_players != len(self.table):
            raise ValueError("a tabular game needs exactly 2^n values")

    @classmethod
    def from_dict(cls, values: dict[frozenset[int], float], num_players: int) -> TabularGame:
        """Build from ``{frozenset(players): value}``; missing coalitions are worth 0."""
        table = np.zeros(1 << num_players)
        for players, value in values.items():
            table[sum(1 << i for i in players)] = value
        return cls(table)

    def values(self, masks: np.ndarray) -> np.ndarray:
        codes = np.asarray(masks, dtype=np.int64) @ (1 << np.arange(self.num_players))
        return self.table[codes]
