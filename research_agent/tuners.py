"""Black-box tuners over the same config space as the operators, for comparison: random search
and Optuna's TPE sampler. Both run every config through the same sandbox and grader."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from research_agent.execution.execute import ExecutionResult, execute
from research_agent.execution.sandbox import Limits
from research_agent.execution.spares import Spares
from research_agent.solutions.program import render
from research_agent.solutions.space import (
    FEATURE_ORDER,
    Config,
    Family,
    families_for,
    family,
    random_config,
)
from research_agent.tasks.spec import TaskFolder, TaskSpec

Tell = Callable[[Config, ExecutionResult], None]


@dataclass
class TuningOutcome:
    """Configs tried, in order, with their execution results."""

    trials: list[tuple[Config, ExecutionResult]]
    seconds: float

    def best(self, task: TaskFolder) -> tuple[int, ExecutionResult] | None:
        """Index and result of the best good trial (earliest on ties), or None."""
        good = [(i, r) for i, (_, r) in enumerate(self.trials) if r.score is not None]
        if not good:
            return None
        return max(good, key=lambda item: (task.spec.signed(item[1].score), -item[0]))


def tune(
    task: TaskFolder,
    propose: Callable[[], tuple[Config, Tell]],
    seconds: float,
    run_dir: Path,
    limits: Limits,
    spares: Spares | None = None,
) -> TuningOutcome:
    """Propose, run and report configs until ``seconds`` have passed; trial k runs in
    ``run_dir/trial_k``, in a sandbox of ``spares`` when given."""
    start, trials = time.monotonic(), []
    while time.monotonic() - start < seconds:
        config, tell = propose()
        code = render(config, task.spec.kind, task.spec.image)
        result = execute(task, code, run_dir / f"trial_{len(trials)}", limits=limits, spares=spares)
        tell(config, result)
        trials.append((config, result))
    return TuningOutcome(trials, time.monotonic() - start)


def random_search(
    task: TaskFolder,
    seconds: float,
    run_dir: Path,
    limits: Limits,
    seed: int = 0,
    initial: Config | None = None,
    spares: Spares | None = None,
):
    """Uniform samples of the config space (after ``initial``, e.g. the baseline's config)."""
    rng = np.random.default_rng(seed)
    queued = [] if initial is None else [initial]

    def propose() -> tuple[Config, Tell]:
        config = queued.pop() if queued else random_config(task.spec.kind, task.spec.image, rng)
        return config, lambda c, r: None

    return tune(task, propose, seconds, run_dir, limits, spares)


def optuna_search(
    task: TaskFolder,
    seconds: float,
    run_dir: Path,
    limits: Limits,
    seed: int = 0,
    initial: Config | None = None,
    spares: Spares | None = None,
):
    """Optuna's TPE sampler over family, per-family settings and feature steps; ``initial``
    (e.g. the baseline's config) is the first trial."""
    proposer = tpe_proposer(task.spec, seed, initial)
    return tune(task, proposer, seconds, run_dir, limits, spares)


def tpe_proposer(
    spec: TaskSpec, seed: int = 0, initial: Config | None = None
) -> Callable[[], tuple[Config, Tell]]:
    """Proposals of Optuna's TPE sampler for a task with ``spec``, each with the function that
    tells TPE its result.

    A run without a score is told as an infeasible trial (a violated constraint, the worst
    value), which TPE ranks below every feasible one. Told as a failed trial instead, TPE
    would ignore it and keep proposing the settings that failed."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    direction = "maximize" if spec.direction == "maximize" else "minimize"
    study = optuna.create_study(direction=direction, sampler=optuna.samplers.TPESampler(seed=seed))
    names = [f.name for f in families_for(spec.kind, spec.image)]
    if initial is not None:
        study.enqueue_trial(trial_params(initial))

    def propose() -> tuple[Config, Tell]:
        trial = study.ask()
        name = trial.suggest_categorical("model", names)
        fam = family(name)
        params: dict[str, Any] = dict(fam.defaults)  # settings without choices keep theirs
        params.update(
            (key, trial.suggest_categorical(f"{name}.{key}", list(choices)))
            for key, choices in fam.choices.items()
        )
        features = [s for s in feature_steps(fam) if trial.suggest_categorical(s, [False, True])]
        config = {"model": name, "params": params, "features": features}

        def tell(config: Config, result: ExecutionResult) -> None:
            if result.score is None:
                trial.set_constraint("runs", 1.0)
                study.tell(trial, -math.inf if direction == "maximize" else math.inf)
            else:
                study.tell(trial, result.score)

        return config, tell

    return propose


def feature_steps(fam: Family) -> tuple[str, ...]:
    """The feature steps a config of ``fam`` may switch on (tabular families only)."""
    return FEATURE_ORDER if fam.template == "tabular" else ()


def trial_params(config: Config) -> dict[str, Any]:
    """Optuna's parameters of ``config`` (the names :func:`optuna_search` suggests)."""
    name = config["model"]
    fam = family(name)
    params: dict[str, Any] = {"model": name}
    params.update((f"{name}.{key}", config["params"][key]) for key in fam.choices)
    params.update((step, step in config["features"]) for step in feature_steps(fam))
    return params
