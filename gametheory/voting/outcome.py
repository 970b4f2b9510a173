"""Result type shared by the voting rules, and the ranking distance used to compare them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from gametheory.voting.profile import Alternative


@dataclass(frozen=True)
class Outcome:
    """A ranking (best first) with each alternative's score under the rule."""

    ranking: list[Alternative]
    scores: dict[Alternative, float]

    @property
    def winner(self) -> Alternative:
        return self.ranking[0]


def outcome_from_scores(alternatives: Sequence[Alternative], scores: np.ndarray) -> Outcome:
    """Rank alternatives by decreasing score (stable: earlier alternatives win ties)."""
    order = np.argsort(-np.asarray(scores, dtype=np.float64), kind="stable")
    return Outcome(
        ranking=[alternatives[i] for i in order],
        scores={a: float(s) for a, s in zip(alternatives, scores, strict=True)},
    )


def kendall_tau_distance(first: Sequence[Alternative], second: Sequence[Alternative]) -> float:
    """Fraction of pairs the two strict rankings (of the same alternatives) order differently."""
    if set(first) != set(second) or not len(first) == len(second) == len(set(first)):
        raise ValueError("rankings must order the same alternatives")
    n = len(first)
    if n < 2:
        return 0.0
    position = {a: i for i, a in enumerate(second)}
    other = np.array([position[a] for a in first])
    discordant = np.triu(other[:, None] > other[None, :], 1).sum()
    return float(discordant) / (n * (n - 1) / 2)
