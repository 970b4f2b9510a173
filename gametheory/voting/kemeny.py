"""Exact Kemeny–Young by dynamic programming over subsets (O(2^m · m²), m ≲ 16)."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from gametheory.voting.outcome import Outcome
from gametheory.voting.profile import PreferenceProfile, Vote, as_profile

MAX_ALTERNATIVES = 16


def kemeny_young(votes: PreferenceProfile | Iterable[Vote]) -> Outcome:
    """The ranking maximising total pairwise agreement Σ_{a before b} P[a, b].

    ``scores[a]`` is a's agreement with everything ranked below it (as in open_spiel).
    Ties between optimal rankings go to the one found first (lowest indices placed first).
    """
    profile = as_profile(votes)
    pref = profile.preference_matrix()
    m = profile.num_alternatives
    if m > MAX_ALTERNATIVES:
        raise ValueError(f"exact Kemeny–Young supports at most {MAX_ALTERNATIVES} alternatives")
    sets = np.arange(1 << m)
    bits = ((sets[:, None] >> np.arange(m)) & 1).astype(bool)
    # gain[S, a]: agreement earned by placing a right after the prefix S (before the rest).
    gain = (~bits).astype(np.float64) @ pref.T
    best = np.full(1 << m, -np.inf)
    best[0] = 0.0
    last = np.zeros(1 << m, dtype=np.int64)
    size = bits.sum(axis=1)
    for k in range(1, m + 1):
        targets = sets[size == k]
        candidates = np.full((len(targets), m), -np.inf)
        for a in range(m):
            has = bits[targets, a]
            prev = targets[has] ^ (1 << a)
            candidates[has, a] = best[prev] + gain[prev, a]
        last[targets] = candidates.argmax(axis=1)
        best[targets] = candidates.max(axis=1)
    order, remaining = [], (1 << m) - 1
    while remaining:
        a = int(last[remaining])
        order.append(a)
        remaining ^= 1 << a
    order.reverse()
    scores = {
        profile.alternatives[a]: float(pref[a, order[i + 1 :]].sum()) for i, a in enumerate(order)
    }
    return Outcome(ranking=[profile.alternatives[a] for a in order], scores=scores)
