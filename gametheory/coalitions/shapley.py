"""Shapley values: exact by subset enumeration, approximate by sampled permutations."""

from __future__ import annotations

from math import factorial

import numpy as np

from gametheory.coalitions.games import Game, all_coalitions

MAX_EXACT_PLAYERS = 20


def shapley_values(game: Game) -> np.ndarray:
    """Exact Shapley values from the values of all 2^n coalitions (n ≤ 20)."""
    n = game.num_players
    if n > MAX_EXACT_PLAYERS:
        raise ValueError(f"exact Shapley values need n ≤ {MAX_EXACT_PLAYERS}; sample instead")
    masks = all_coalitions(n)
    value = game.values(masks)
    size = masks.sum(axis=1)
    # Weight of a coalition S not containing i: |S|! (n − |S| − 1)! / n!.
    weight = np.array([factorial(s) * factorial(n - s - 1) / factorial(n) for s in range(n)])
    codes = np.arange(1 << n)
    phi = np.empty(n)
    for i in range(n):
        without = codes[~masks[:, i]]
        phi[i] = (weight[size[without]] * (value[without | (1 << i)] - value[without])).sum()
    return phi


def monte_carlo_shapley_values(
    game: Game, num_permutations: int, seed: int = 0, batch_size: int = 64
) -> np.ndarray:
    """Shapley values averaged over marginal contributions along random permutations."""
    n = game.num_players
    rng = np.random.default_rng(seed)
    total = np.zeros(n)
    done = 0
    while done < num_permutations:
        batch = min(batch_size, num_permutations - done)
        perms = rng.permuted(np.tile(np.arange(n), (batch, 1)), axis=1)
        position = np.argsort(perms, axis=1)
        # prefixes[b, k] = players in the first k places of permutation b, k = 0..n.
        prefixes = position[:, None, :] < np.arange(n + 1)[None, :, None]
        value = game.values(prefixes.reshape(-1, n)).reshape(batch, n + 1)
        np.add.at(total, perms, np.diff(value, axis=1))
        done += batch
    return total / num_permutations
