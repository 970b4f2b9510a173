"""Preference profiles: weighted rankings with ties, flattened for vectorised use."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

Alternative = Hashable
# A vote is (weight, [item, ...]) from best to worst; an item is an alternative or a
# set/frozenset of alternatives tied with each other.
Vote = tuple[float, Sequence]


@dataclass(frozen=True)
class PairTable:
    """Every strict preference ``winner ≻ loser`` inside every vote, sorted by vote.

    ``winner_pos``/``loser_pos`` index the entry inside its vote (so per-vote noise can be
    shared by all pairs of a vote); ``start[v]:start[v]+count[v]`` are the pairs of vote v.
    """

    vote: np.ndarray
    winner: np.ndarray
    loser: np.ndarray
    winner_pos: np.ndarray
    loser_pos: np.ndarray
    start: np.ndarray
    count: np.ndarray


class PreferenceProfile:
    """A weighted multiset of (possibly partial, possibly tied) rankings.

    Pairs of alternatives that a vote does not rank are not compared by that vote.
    """

    def __init__(self, votes: Iterable[Vote], alternatives: Sequence[Alternative] = ()):
        self.alternatives: list[Alternative] = list(alternatives)
        self.index: dict[Alternative, int] = {a: i for i, a in enumerate(self.alternatives)}
        weights, lengths, entries, tiers = [], [], [], []
        for weight, ranking in votes:
            weights.append(float(weight))
            count = 0
            for level, item in enumerate(ranking):
                group = item if isinstance(item, set | frozenset) else (item,)
                for alternative in group:
                    entries.append(self._register(alternative))
                    tiers.append(level)
                    count += 1
            lengths.append(count)
        self.weights = np.asarray(weights, dtype=np.float64)
        self.lengths = np.asarray(lengths, dtype=np.int64)
        self.entries = np.asarray(entries, dtype=np.int64)
        self.tiers = np.asarray(tiers, dtype=np.int64)
        self.entry_start = np.concatenate([[0], np.cumsum(self.lengths)[:-1]]).astype(np.int64)
        self.pairs = self._build_pairs()

    def _register(self, alternative: Alternative) -> int:
        if alternative not in self.index:
            self.index[alternative] = len(self.alternatives)
            self.alternatives.append(alternative)
        return self.index[alternative]

    def _build_pairs(self) -> PairTable:
        parts = []
        for length in np.unique(self.lengths):
            votes = np.flatnonzero(self.lengths == length)
            rows = self.entry_start[votes, None] + np.arange(length)[None, :]
            i, j = np.triu_indices(length, 1)
            strict = self.tiers[rows[:, i]] < self.tiers[rows[:, j]]
            shape = strict.shape
            parts.append(tuple(np.broadcast_to(a, shape)[strict] for a in (votes[:, None], i, j)))
        if parts:
            vote, wpos, lpos = (np.concatenate(p) for p in zip(*parts, strict=True))
        else:
            vote = wpos = lpos = np.zeros(0, dtype=np.int64)
        order = np.argsort(vote, kind="stable")
        vote, wpos, lpos = vote[order], wpos[order], lpos[order]
        count = np.bincount(vote, minlength=self.num_votes)
        start = np.concatenate([[0], np.cumsum(count)[:-1]]).astype(np.int64)
        base = self.entry_start[vote]
        return PairTable(
            vote=vote,
            winner=self.entries[base + wpos],
            loser=self.entries[base + lpos],
            winner_pos=wpos,
            loser_pos=lpos,
            start=start,
            count=count,
        )

    @property
    def num_alternatives(self) -> int:
        return len(self.alternatives)

    @property
    def num_votes(self) -> int:
        return len(self.weights)

    def preference_matrix(self) -> np.ndarray:
        """``P[a, b]``: total weight of votes that rank a strictly above b."""
        m = self.num_alternatives
        codes = self.pairs.winner * m + self.pairs.loser
        counts = np.bincount(codes, weights=self.weights[self.pairs.vote], minlength=m * m)
        return counts.reshape(m, m)

    def margin_matrix(self) -> np.ndarray:
        """``M[a, b] = P[a, b] - P[b, a]``."""
        p = self.preference_matrix()
        return p - p.T

    def condorcet_winner(self) -> Alternative | None:
        """The alternative beating every other one head to head, or None."""
        margin = self.margin_matrix()
        np.fill_diagonal(margin, 1.0)
        winners = np.flatnonzero((margin > 0).all(axis=1))
        return self.alternatives[winners[0]] if len(winners) else None


def as_profile(votes: PreferenceProfile | Iterable[Vote]) -> PreferenceProfile:
    """Wrap a list of ``(weight, ranking)`` votes as a profile (profiles pass through)."""
    return votes if isinstance(votes, PreferenceProfile) else PreferenceProfile(votes)
