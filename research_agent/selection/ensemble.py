"""Ensembles of a run's best solutions: one program that runs each member and combines their
predictions, and the same combination applied to predictions already made (to cross-validate
an ensemble from its members' fold predictions without running them again)."""

from __future__ import annotations

import inspect

import numpy as np

from research_agent.solutions.program import fill_template, literal
from research_agent.solutions.space import TaskKind


def combine(predictions: list[np.ndarray], kind: str) -> np.ndarray:
    """The members' predictions combined: their mean for a regression, else per sample the
    label most members predict (ties: the earliest of those members)."""
    stacked = np.stack([np.asarray(p) for p in predictions])
    if kind == "regression":
        return stacked.mean(axis=0)
    rows = stacked.reshape(stacked.shape[0], stacked.shape[1], -1)
    agree = (rows[:, None] == rows[None, :]).all(axis=-1).sum(axis=1)  # (member, sample)
    return stacked[agree.argmax(axis=0), np.arange(stacked.shape[1])]


def min_members(kind: TaskKind) -> int:
    """The fewest members an ensemble needs: 2 to average, 3 for a vote to decide anything."""
    return 2 if kind == "regression" else 3


def ensemble_code(members: list[str], kind: TaskKind) -> str:
    """The program of the ensemble of the solution programs ``members`` (best first)."""
    if len(members) < min_members(kind):
        raise ValueError(f"a {kind} ensemble needs {min_members(kind)} members, got {len(members)}")
    replacements = {  # the members' code last: nothing in it is taken for a marker
        "__KIND__": repr(kind),
        "__COMBINE__": inspect.getsource(combine).rstrip(),
        "__MEMBERS__": literal(members),
    }
    return fill_template("ensemble", replacements)
