"""The configuration space solutions are drawn from: model families, their settings, feature steps.

A solution's config is ``{"model": family, "params": {...}, "features": [step, ...]}``. Every
setting takes values from an ordered tuple of choices, so the programmatic operators, random
search and Optuna all search exactly the same space.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

Config = dict[str, Any]
TaskKind = str  # "classification" | "regression" | "language_modeling" | "control"


@dataclass(frozen=True)
class Family:
    """A model family: the estimator it builds for each task kind and its settings' choices."""

    name: str
    estimators: dict[TaskKind, str]
    choices: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    defaults: dict[str, Any] = field(default_factory=dict)
    template: str = "tabular"
    image_only: bool = False


FAMILIES: tuple[Family, ...] = (
    Family(
        "linear",
        {
            "classification": "sklearn.linear_model.LogisticRegression",
            "regression": "sklearn.linear_model.Ridge",
        },
        {"C": (0.01, 0.1, 1.0, 10.0, 100.0)},
        {"C": 1.0},
    ),
    Family(
        "random_forest",
        {
            "classification": "sklearn.ensemble.RandomForestClassifier",
            "regression": "sklearn.ensemble.RandomForestRegressor",
        },
        {"n_estimators": (25, 50, 100, 200), "max_depth": (None, 4, 8, 16)},
        {"n_estimators": 50, "max_depth": None},
    ),
    Family(
        "extra_trees",
        {
            "classification": "sklearn.ensemble.ExtraTreesClassifier",
            "regression": "sklearn.ensemble.ExtraTreesRegressor",
        },
        {"n_estimators": (25, 50, 100, 200), "max_depth": (None, 4, 8, 16)},
        {"n_estimators": 50, "max_depth": None},
    ),
    Family(
        "gradient_boosting",
        {
            "classification": "sklearn.ensemble.HistGradientBoostingClassifier",
            "regression": "sklearn.ensemble.HistGradientBoostingRegressor",
        },
        {"learning_rate": (0.03, 0.1, 0.3), "max_iter": (50, 100, 200), "max_depth": (None, 3, 6)},
        {"learning_rate": 0.1, "max_iter": 100, "max_depth": None},
    ),
    Family(
        "knn",
        {
            "classification": "sklearn.neighbors.KNeighborsClassifier",
            "regression": "sklearn.neighbors.KNeighborsRegressor",
        },
        {"n_neighbors": (1, 3, 5, 9, 15), "weights": ("uniform", "distance")},
        {"n_neighbors": 5, "weights": "uniform"},
    ),
    Family(
        "svm",
        {"classification": "sklearn.svm.SVC", "regression": "sklearn.svm.SVR"},
        {"C": (0.1, 1.0, 10.0, 100.0), "gamma": ("scale", 0.001, 0.01, 0.1)},
        {"C": 1.0, "gamma": "scale"},
    ),
    Family(
        "cnn",
        {"classification": "torch"},
        {
            "channels": (8, 16, 32),
            "epochs": (3, 6, 12, 24),
            "batch_size": (16, 32, 64, 128),
            "lr": (0.0003, 0.001, 0.003, 0.01),
        },
        {"channels": 16, "epochs": 6, "batch_size": 64, "lr": 0.003},
        template="cnn",
        image_only=True,
    ),
    Family(
        "gpt",
        {"language_modeling": "torch"},
        {
            "lr": (0.0003, 0.001, 0.002, 0.003, 0.006),
            "batch_size": (8, 16, 32, 64),
            "weight_decay": (0.0, 0.01, 0.1),
        },
        {"lr": 0.001, "batch_size": 16, "weight_decay": 0.0, "seed": 0},
        template="gpt",
    ),
    Family(
        "lqr",
        {"control": "lqr"},
        {
            "q_angle": (1.0, 10.0, 100.0, 1000.0),
            "q_position": (0.1, 1.0, 10.0),
            "q_velocity": (0.01, 0.1, 1.0),
            "r": (0.01, 0.1, 1.0, 10.0),
        },
        {"q_angle": 10.0, "q_position": 1.0, "q_velocity": 0.1, "r": 1.0},
        template="controller",
    ),
    Family(
        "random_search",
        {"control": "random_search"},
        {"iterations": (10, 25, 50, 100), "sigma": (0.1, 0.3, 1.0, 3.0), "episodes": (1, 2, 4)},
        {"iterations": 10, "sigma": 0.3, "episodes": 1, "seed": 0},
        template="controller",
    ),
)

FEATURE_STEPS: dict[str, str] = {
    "impute": "sklearn.impute.SimpleImputer",
    "standardize": "sklearn.preprocessing.StandardScaler",
    "pca": "sklearn.decomposition.PCA",
}
FEATURE_ORDER = tuple(FEATURE_STEPS)


def families_for(kind: TaskKind, image: bool = False) -> list[Family]:
    """The families that can solve a task of ``kind`` (image tasks also get the CNN)."""
    return [f for f in FAMILIES if kind in f.estimators and (image or not f.image_only)]


def family(name: str) -> Family:
    """The family called ``name``."""
    for candidate in FAMILIES:
        if candidate.name == name:
            return candidate
    raise KeyError(f"unknown model family {name!r}; known: {[f.name for f in FAMILIES]}")


def canonical_features(steps: list[str] | set[str]) -> list[str]:
    """Feature steps in pipeline order, each once; unknown steps raise KeyError."""
    for step in steps:
        if step not in FEATURE_STEPS:
            raise KeyError(f"unknown feature step {step!r}; known: {list(FEATURE_ORDER)}")
    return [s for s in FEATURE_ORDER if s in steps]


def default_config(name: str, features: list[str] | None = None) -> Config:
    """The family's default settings with ``features`` (impute + standardize by default)."""
    steps = ["impute", "standardize"] if features is None else features
    fam = family(name)
    return {
        "model": name,
        "params": dict(fam.defaults),
        "features": [] if fam.template != "tabular" else canonical_features(steps),
    }


def random_config(
    kind: TaskKind, image: bool, rng: np.random.Generator, avoid: frozenset[str] = frozenset()
) -> Config:
    """A config drawn uniformly: family (one not in ``avoid`` while there is one), each
    setting, each feature step on or off."""
    fams = families_for(kind, image)
    fams = [f for f in fams if f.name not in avoid] or fams
    fam = fams[int(rng.integers(len(fams)))]
    params = {**fam.defaults, **{k: v[int(rng.integers(len(v)))] for k, v in fam.choices.items()}}
    steps = [s for s in FEATURE_ORDER if rng.random() < 0.5]
    if fam.template != "tabular":
        steps = []
    return {"model": fam.name, "params": params, "features": steps}
