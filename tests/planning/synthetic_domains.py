"""Small search domains whose best answers are known by enumeration."""

from __future__ import annotations

import itertools
import os
import time
from dataclasses import dataclass

import numpy as np

from planning.domain import Expansion, ExpansionJob
from planning.tree import SearchTree


@dataclass
class ChoiceTree:
    """Payload: a tuple of up to ``depth`` choices in ``range(branching)``.

    The score is the sum of per-level rewards of the choices made. "draft" picks one choice,
    "improve" appends a choice (or, at full depth, changes one), "debug" returns the parent's
    payload, buggy again with probability ``1 - fix_prob``. Proposals from draft and improve are
    buggy with probability ``bug_prob``.
    """

    depth: int = 4
    branching: int = 3
    bug_prob: float = 0.0
    fix_prob: float = 0.7
    seed: int = 0

    @property
    def rewards(self) -> np.ndarray:
        return np.random.default_rng(self.seed).uniform(0, 1, (self.depth, self.branching))

    def score(self, payload: tuple[int, ...]) -> float:
        rewards = self.rewards
        return float(sum(rewards[level, c] for level, c in enumerate(payload)))

    def best_leaf(self) -> tuple[int, ...]:
        leaves = itertools.product(range(self.branching), repeat=self.depth)
        return max(leaves, key=self.score)

    def _propose(self, job: ExpansionJob, rng: np.random.Generator) -> tuple[int, ...]:
        if job.operator == "draft":
            return (int(rng.integers(self.branching)),)
        payload = list(job.parents[0].payload)
        if len(payload) < self.depth:
            return (*payload, int(rng.integers(self.branching)))
        payload[int(rng.integers(self.depth))] = int(rng.integers(self.branching))
        return tuple(payload)

    def expand(self, job: ExpansionJob) -> Expansion:
        rng = np.random.default_rng(job.seed)
        if job.operator == "debug":
            payload, bug_prob = job.parents[0].payload, 1.0 - self.fix_prob
        else:
            payload, bug_prob = self._propose(job, rng), self.bug_prob
        if rng.random() < bug_prob:
            return Expansion(payload, None, is_buggy=True, info={"error": "synthetic bug"})
        return Expansion(payload, self.score(payload), info={"operator": job.operator})


@dataclass
class BitMatch:
    """Payload: a tuple of ``n`` bits; the score sums the weights of bits equal to a hidden target.

    "improve" flips one or two bits, "crossover" takes each bit from one of two parents.
    """

    n: int = 16
    seed: int = 0

    def __post_init__(self) -> None:
        rng = np.random.default_rng(self.seed)
        self.target = rng.integers(0, 2, self.n)
        self.weights = rng.uniform(1, 3, self.n)

    def score(self, bits: tuple[int, ...]) -> float:
        return float(self.weights[np.array(bits) == self.target].sum())

    def optimum(self) -> float:
        """Brute force over all 2**n bit strings."""
        masks = np.arange(2**self.n, dtype=np.int64)
        bits = (masks[:, None] >> np.arange(self.n)) & 1
        return float(((bits == self.target) @ self.weights).max())

    def expand(self, job: ExpansionJob) -> Expansion:
        rng = np.random.default_rng(job.seed)
        if job.operator == "draft":
            bits = rng.integers(0, 2, self.n)
        elif job.operator == "crossover":
            a, b = (np.array(p.payload) for p in job.parents)
            bits = np.where(rng.random(self.n) < 0.5, a, b)
        else:
            bits = np.array(job.parents[0].payload)
            flip = rng.choice(self.n, size=int(rng.integers(1, 3)), replace=False)
            bits[flip] = 1 - bits[flip]
        payload = tuple(int(b) for b in bits)
        return Expansion(payload, self.score(payload))


@dataclass
class Raising(ChoiceTree):
    """A ChoiceTree whose expand raises for every third job seed."""

    def expand(self, job: ExpansionJob) -> Expansion:
        if job.seed % 3 == 0:
            raise RuntimeError(f"domain failure for seed {job.seed}")
        return super().expand(job)


@dataclass
class Dying(ChoiceTree):
    """A ChoiceTree whose worker process exits abruptly for every third job seed."""

    def expand(self, job: ExpansionJob) -> Expansion:
        if job.seed % 3 == 0:
            os._exit(3)
        return super().expand(job)


@dataclass
class Slow(ChoiceTree):
    """A ChoiceTree that takes ``delay`` seconds per expansion."""

    delay: float = 0.02

    def expand(self, job: ExpansionJob) -> Expansion:
        time.sleep(self.delay)
        return super().expand(job)


def signature(tree: SearchTree) -> list[tuple]:
    """What must match between two runs that should be identical."""
    return [
        (n.id, n.payload, n.score, n.operator, n.parents, n.is_buggy, n.visits, n.value_sum)
        for n in tree.nodes
    ]
