"""Preference profiles, pairwise matrices and PrefLib parsing."""

import numpy as np

from gametheory.voting import PreferenceProfile, parse_preflib

MEEPLE = [(1, ["A", "B", "C"]), (1, ["A", "C", "B"]), (2, ["C", "A", "B"]), (1, ["B", "C", "A"])]


def test_preference_and_margin_matrices():
    profile = PreferenceProfile(MEEPLE)
    assert profile.alternatives == ["A", "B", "C"]
    np.testing.assert_array_equal(profile.preference_matrix(), [[0, 4, 2], [1, 0, 2], [3, 3, 0]])
    np.testing.assert_array_equal(profile.margin_matrix(), [[0, 3, -1], [-3, 0, -1], [1, 1, 0]])
    assert profile.condorcet_winner() == "C"


def test_no_condorcet_winner_in_a_cycle():
    cycle = [(1, ["A", "B", "C"]), (1, ["B", "C", "A"]), (1, ["C", "A", "B"])]
    assert PreferenceProfile(cycle).condorcet_winner() is None


def test_ties_and_partial_votes_compare_only_ranked_strict_pairs():
    profile = PreferenceProfile([(2, [{"A", "B"}, "C"]), (1, ["D", "A"])])
    pref = profile.preference_matrix()
    a, b, c, d = (profile.index[x] for x in "ABCD")
    assert pref[a, b] == pref[b, a] == 0
    assert pref[a, c] == pref[b, c] == 2
    assert pref[d, a] == 1 and pref[d, b] == 0 and pref[c, d] == 0


def test_parse_current_preflib_format_with_ties():
    text = """# FILE NAME: 00000-00000001.toc
# DATA TYPE: toc
# NUMBER ALTERNATIVES: 3
# ALTERNATIVE NAME 1: Alpha
# ALTERNATIVE NAME 2: Beta
# ALTERNATIVE NAME 3: Gamma
# NUMBER VOTERS: 5
3: 1,2,3
2: {1,3},2
"""
    profile = parse_preflib(text)
    assert profile.alternatives == ["Alpha", "Beta", "Gamma"]
    np.testing.assert_array_equal(profile.weights, [3, 2])
    np.testing.assert_array_equal(profile.preference_matrix(), [[0, 5, 3], [0, 0, 3], [0, 2, 0]])


def test_parse_legacy_preflib_format_with_partial_vote():
    text = "3\n1,A\n2,B\n3,C\n5,5,2\n3,1,2,3\n2,3,1\n"
    profile = parse_preflib(text)
    assert profile.alternatives == ["A", "B", "C"]
    np.testing.assert_array_equal(profile.preference_matrix(), [[0, 3, 3], [0, 0, 3], [2, 0, 0]])
