"""The black-box tuners the research benchmark compares the search policies with."""

from __future__ import annotations

from research_agent.execution.execute import ExecutionResult
from research_agent.solutions.space import Config, default_config
from research_agent.tasks import RECIPES
from research_agent.tuners import tpe_proposer

SCORES = {"linear": 0.97, "svm": 0.96, "gradient_boosting": 0.95}


def run(config: Config) -> ExecutionResult:
    """A stand-in for breast_cancer's runs: the data has missing values, so every family but
    gradient boosting fails without imputation; families score differently."""
    fails = config["model"] != "gradient_boosting" and "impute" not in config["features"]
    score = None if fails else SCORES.get(config["model"], 0.9)
    return ExecutionResult(score, int(fails), False, 0.1, "", "", "none")


def test_tpe_starts_from_the_initial_config():
    initial = default_config("knn", ["impute"])
    config, _ = tpe_proposer(RECIPES["breast_cancer"].spec, seed=3, initial=initial)()
    assert config == initial


def test_tpe_learns_to_avoid_the_settings_whose_runs_fail():
    propose = tpe_proposer(RECIPES["breast_cancer"].spec, seed=0)
    failed = []
    for _ in range(80):
        config, tell = propose()
        result = run(config)
        tell(config, result)
        failed.append(result.is_buggy)
    # Told as failed trials (which TPE ignores), 36 of the last 40 failed.
    assert sum(failed[40:]) <= 15, failed
