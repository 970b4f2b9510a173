"""Reaction parsing and exact mass-action equations."""

from __future__ import annotations

import pytest
import torch

from worldmodels.ode.brusselator import RATES, REACTIONS, brusselator
from worldmodels.ode.reactions import (
    MassAction,
    ReactionNetwork,
    ReactionSyntaxError,
    parse_reaction,
)


def test_parse_reaction_sides_coefficients_and_rate():
    r = parse_reaction("A + 2 B -> 3C + A, k1")
    assert r.reactants == {"A": 1, "B": 2}
    assert r.products == {"C": 3, "A": 1}
    assert r.rate == "k1"
    assert parse_reaction("-> X, 0.5").reactants == {} and parse_reaction("-> X, 0.5").rate == 0.5
    assert parse_reaction("X -> 0, d").products == {}


def test_brusselator_mass_action_is_exact():
    network = ReactionNetwork(REACTIONS)
    k = network.rate_vector({"a": 1.3, "b": 2.7, "c": 0.9, "d": 1.1})
    y = torch.rand(7, 2, dtype=torch.float64) * 3
    x, w = y[:, 0], y[:, 1]
    expected = torch.stack([1.3 - (2.7 + 1.1) * x + 0.9 * x**2 * w, 2.7 * x - 0.9 * x**2 * w], -1)
    torch.testing.assert_close(network.derivative(y, k), expected)
    assert network.equations() == {"X": "+ a + c*X^2*Y - b*X - d*X", "Y": "- c*X^2*Y + b*X"}


def test_stoichiometry_of_a_reversible_dimerisation():
    network = ReactionNetwork(["2 A -> A2, kf", "A2 -> 2 A, kr"])
    assert network.species == ["A", "A2"]
    assert network.stoichiometry.tolist() == [[-2.0, 1.0], [2.0, -1.0]]
    k = network.rate_vector({"kf": 2.0, "kr": 0.5})
    y = torch.tensor([3.0, 1.0], dtype=torch.float64)
    rates = network.reaction_rates(y, k)
    torch.testing.assert_close(rates, torch.tensor([18.0, 0.5], dtype=torch.float64))
    # mass is conserved: A + 2 A2 is constant
    assert float(network.derivative(y, k) @ torch.tensor([1.0, 2.0], dtype=torch.float64)) == 0.0


def test_mass_action_module_learns_rates_in_log_space():
    field = brusselator(drop="c", learn_rates=True)
    assert set(field.rates()) == {"a", "b", "d"}
    assert field.rates()["b"] == pytest.approx(RATES["b"])
    assert field.log_rates.requires_grad
    assert not MassAction(field.network, RATES, learn_rates=False).log_rates.requires_grad


@pytest.mark.parametrize(
    ("text", "position", "expected"),
    [
        ("A + -> B, k", 4, "species name"),
        ("A + B => C, k", 6, "'->'"),
        ("A -> B", 6, "','"),
        ("A -> B, k extra", 10, "end of the reaction"),
        ("2.5 A -> B, k", 0, "positive integer coefficient"),
        ("A -> B,", 7, "rate constant"),
        ("A B -> C, k", 2, "'+' or"),
    ],
)
def test_malformed_reaction_names_the_position(text, position, expected):
    with pytest.raises(ReactionSyntaxError) as info:
        parse_reaction(text)
    assert info.value.position == position
    assert f"at position {position}" in str(info.value)
    assert expected in str(info.value)


def test_missing_rate_value_is_named():
    network = ReactionNetwork(["A -> B, k1", "B -> A, k2"])
    with pytest.raises(ValueError, match=r"k2"):
        network.rate_vector({"k1": 1.0})


def test_species_outside_the_declared_list_fail():
    with pytest.raises(ValueError, match="'Z'"):
        ReactionNetwork(["X -> Z, k"], species=["X", "Y"])
