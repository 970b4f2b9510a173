"""Kemeny–Young, Borda, Copeland, plurality, Elo and the Kendall-tau distance."""

import numpy as np
import pytest

from gametheory.voting import borda, copeland, elo, kemeny_young, kendall_tau_distance, plurality

TENNESSEE = [
    (42, ["Memphis", "Nashville", "Chattanooga", "Knoxville"]),
    (26, ["Nashville", "Chattanooga", "Knoxville", "Memphis"]),
    (15, ["Chattanooga", "Knoxville", "Nashville", "Memphis"]),
    (17, ["Knoxville", "Chattanooga", "Nashville", "Memphis"]),
]
MEEPLE = [(1, ["A", "B", "C"]), (1, ["A", "C", "B"]), (2, ["C", "A", "B"]), (1, ["B", "C", "A"])]


def test_kemeny_young_matches_open_spiel_examples():
    outcome = kemeny_young(TENNESSEE)
    assert outcome.ranking == ["Nashville", "Chattanooga", "Knoxville", "Memphis"]
    assert [outcome.scores[a] for a in outcome.ranking] == [194, 141, 58, 0]
    outcome = kemeny_young(MEEPLE)
    assert outcome.ranking == ["C", "A", "B"]
    assert [outcome.scores[a] for a in outcome.ranking] == [6, 4, 0]


def test_kemeny_young_agrees_with_brute_force():
    import itertools

    rng = np.random.default_rng(3)
    votes = [(int(rng.integers(1, 4)), list(rng.permutation(6))) for _ in range(15)]
    ranking = kemeny_young(votes).ranking

    def agreement(order):
        pos = {a: i for i, a in enumerate(order)}
        return sum(
            w * sum(pos[v[i]] < pos[v[j]] for i, j in itertools.combinations(range(6), 2))
            for w, v in votes
        )

    best = max(agreement(p) for p in itertools.permutations(range(6)))
    assert agreement(ranking) == best


def test_scoring_rules_on_tennessee():
    assert borda(TENNESSEE).scores == {
        "Memphis": 126,
        "Nashville": 194,
        "Chattanooga": 173,
        "Knoxville": 107,
    }
    assert copeland(TENNESSEE).ranking == ["Nashville", "Chattanooga", "Knoxville", "Memphis"]
    assert plurality(TENNESSEE).winner == "Memphis"
    assert plurality([(2, [{"A", "B"}, "C"])]).scores == {"A": 1, "B": 1, "C": 0}


def test_elo_two_players_matches_closed_form():
    outcome = elo([(3, ["A", "B"]), (1, ["B", "A"])], mean_rating=1000)
    gap = outcome.scores["A"] - outcome.scores["B"]
    assert gap == pytest.approx(400 * np.log10(3), rel=1e-4)
    assert outcome.scores["A"] + outcome.scores["B"] == pytest.approx(2000)


def test_kendall_tau_distance():
    assert kendall_tau_distance(list("abcd"), list("abcd")) == 0
    assert kendall_tau_distance(list("abcd"), list("dcba")) == 1
    assert kendall_tau_distance(list("abc"), list("bac")) == pytest.approx(1 / 3)
    with pytest.raises(ValueError):
        kendall_tau_distance(list("ab"), list("ac"))
