"""Reaction networks from text and their mass-action kinetics.

A reaction is written ``A + 2 B -> C, k1``: reactant and product sides of ``+``-separated terms
(an optional integer coefficient before a species name), ``->``, a comma and a rate (a name or
a number). An empty side (or ``0``) is a source or a sink: ``-> X, a`` or ``X -> 0, k``.
Mass action: the rate of reaction r is ``k_r · Π_s y_s^(R[r, s])`` and
``dy/dt = (P − R)ᵀ · rates``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import Tensor, nn

_TOKEN = re.compile(
    r"\s*(?:(?P<arrow>->)|(?P<number>\d+(?:\.\d*)?(?:[eE][-+]?\d+)?)"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_]*)|(?P<op>[+,])|(?P<bad>\S))"
)


class ReactionSyntaxError(ValueError):
    """A reaction string that does not parse; ``position`` is the 0-based column of the fault."""

    def __init__(self, text: str, position: int, expected: str) -> None:
        self.text, self.position = text, position
        found = repr(text[position : position + 8]) if position < len(text) else "end of string"
        super().__init__(
            f"bad reaction {text!r} at position {position} (found {found}): expected {expected}\n"
            f"  {text}\n  {' ' * position}^"
        )


@dataclass(frozen=True)
class Reaction:
    """One reaction: species → stoichiometric coefficient on each side, and its rate."""

    reactants: dict[str, int]
    products: dict[str, int]
    rate: str | float
    text: str

    @property
    def rate_name(self) -> str:
        """The rate's name (a number is named by its text)."""
        return self.rate if isinstance(self.rate, str) else repr(self.rate)


def _tokens(text: str) -> list[tuple[str, str, int]]:
    out, pos = [], 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:  # only trailing whitespace is left
            break
        kind = match.lastgroup or "bad"
        start = match.start(kind)
        if kind == "bad":
            raise ReactionSyntaxError(text, start, "a species, a coefficient, '+', '->' or ','")
        out.append((kind, match.group(kind), start))
        pos = match.end()
    out.append(("end", "", len(text)))
    return out


def _side(text: str, tokens: list, i: int, stop: str) -> tuple[dict[str, int], int]:
    """Parse terms up to the token kind/op ``stop``; return (species → coefficient, next i)."""
    side: dict[str, int] = {}
    kind, value, _ = tokens[i]
    if kind == "number" and value == "0" and (tokens[i + 1][1] == stop or tokens[i + 1][0] == stop):
        return side, i + 1  # the empty set, written 0
    if value == stop or kind == stop:
        return side, i
    while True:
        kind, value, pos = tokens[i]
        coefficient = 1
        if kind == "number":
            if not value.isdigit() or int(value) < 1:
                raise ReactionSyntaxError(text, pos, "a positive integer coefficient")
            coefficient, i = int(value), i + 1
            kind, value, pos = tokens[i]
        if kind != "name":
            raise ReactionSyntaxError(text, pos, "a species name")
        side[value] = side.get(value, 0) + coefficient
        i += 1
        kind, value, pos = tokens[i]
        if value == "+":
            i += 1
            continue
        if value == stop or kind == stop:
            return side, i
        raise ReactionSyntaxError(text, pos, f"'+' or {stop!r}")


def parse_reaction(text: str) -> Reaction:
    """Parse one reaction ``"A + B -> C, k1"``; a malformed string raises
    :class:`ReactionSyntaxError` naming the position of the fault."""
    tokens = _tokens(text)
    reactants, i = _side(text, tokens, 0, "arrow")
    if tokens[i][0] != "arrow":
        raise ReactionSyntaxError(text, tokens[i][2], "'->'")
    products, i = _side(text, tokens, i + 1, ",")
    if tokens[i][1] != ",":
        raise ReactionSyntaxError(text, tokens[i][2], "',' and a rate")
    kind, value, pos = tokens[i + 1]
    if kind not in ("name", "number"):
        raise ReactionSyntaxError(text, pos, "a rate constant (a name or a number)")
    if tokens[i + 2][0] != "end":
        raise ReactionSyntaxError(text, tokens[i + 2][2], "the end of the reaction")
    if not reactants and not products:
        raise ReactionSyntaxError(text, tokens[0][2], "at least one species")
    rate: str | float = value if kind == "name" else float(value)
    return Reaction(reactants, products, rate, text.strip())


class ReactionNetwork:
    """Reactions over ``species`` (default: in order of first appearance), as matrices
    ``reactants``/``products`` of shape ``[reactions, species]``."""

    def __init__(self, reactions: Sequence[str | Reaction], species: Sequence[str] | None = None):
        self.reactions = [r if isinstance(r, Reaction) else parse_reaction(r) for r in reactions]
        if not self.reactions:
            raise ValueError("a reaction network needs at least one reaction")
        seen: list[str] = []
        for r in self.reactions:
            seen += [s for s in (*r.reactants, *r.products) if s not in seen]
        if species is None:
            species = seen
        unknown = [s for s in seen if s not in species]
        if unknown:
            raise ValueError(f"reactions use species {unknown} not in species={list(species)}")
        self.species = list(species)
        index = {s: j for j, s in enumerate(self.species)}
        shape = (len(self.reactions), len(self.species))
        self.reactant_matrix = torch.zeros(shape, dtype=torch.float64)
        self.product_matrix = torch.zeros(shape, dtype=torch.float64)
        for i, r in enumerate(self.reactions):
            for s, c in r.reactants.items():
                self.reactant_matrix[i, index[s]] = c
            for s, c in r.products.items():
                self.product_matrix[i, index[s]] = c

    @property
    def stoichiometry(self) -> Tensor:
        """Net change ``P − R`` of each species per reaction, ``[reactions, species]``."""
        return self.product_matrix - self.reactant_matrix

    @property
    def rate_names(self) -> list[str]:
        return [r.rate_name for r in self.reactions]

    def default_rates(self) -> dict[str, float]:
        """The rates written as numbers in the reactions."""
        return {r.rate_name: r.rate for r in self.reactions if isinstance(r.rate, float)}

    def rate_vector(self, rates: dict[str, float]) -> Tensor:
        """Rate constants in reaction order; a missing name raises an error listing them."""
        values = {**self.default_rates(), **rates}
        missing = sorted({n for n in self.rate_names if n not in values})
        if missing:
            raise ValueError(f"no value for rate constant(s) {missing}; needed: {self.rate_names}")
        return torch.tensor([values[n] for n in self.rate_names], dtype=torch.float64)

    def reaction_rates(self, y: Tensor, k: Tensor) -> Tensor:
        """Mass-action rates ``[..., reactions]`` of concentrations ``y[..., species]``."""
        powers = y.unsqueeze(-2) ** self.reactant_matrix.to(y)
        return k.to(y) * powers.prod(-1)

    def derivative(self, y: Tensor, k: Tensor) -> Tensor:
        """``dy/dt`` of concentrations ``y[..., species]`` with rate constants ``k[reactions]``."""
        return self.reaction_rates(y, k) @ self.stoichiometry.to(y)

    def equations(self) -> dict[str, str]:
        """The mass-action ODE of each species as text, e.g. ``{"X": "+a - b*X", ...}``."""
        out = {}
        for j, s in enumerate(self.species):
            terms = []
            for i, r in enumerate(self.reactions):
                net = int(self.stoichiometry[i, j])
                if net == 0:
                    continue
                factors = [r.rate_name] + [
                    f"{name}^{c}" if c > 1 else name for name, c in r.reactants.items()
                ]
                scale = f"{abs(net)}*" if abs(net) != 1 else ""
                terms.append(f"{'+' if net > 0 else '-'} {scale}{'*'.join(factors)}")
            out[s] = " ".join(terms) if terms else "0"
        return out


class MassAction(nn.Module):
    """The mass-action vector field of ``network``; rate constants are parameters (learned
    in log space when ``learn_rates``), initialised from ``rates``."""

    def __init__(
        self, network: ReactionNetwork, rates: dict[str, float], learn_rates: bool = True
    ) -> None:
        super().__init__()
        self.network = network
        log_k = torch.log(network.rate_vector(rates)).float()
        self.log_rates = nn.Parameter(log_k, requires_grad=learn_rates)

    def rates(self) -> dict[str, float]:
        """Current rate constants by name."""
        return dict(zip(self.network.rate_names, self.log_rates.exp().tolist(), strict=True))

    def forward(self, t: Tensor, y: Tensor) -> Tensor:
        return self.network.derivative(y, self.log_rates.exp())
