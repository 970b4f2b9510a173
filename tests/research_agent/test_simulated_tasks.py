"""The *design a world model* task: simulator data, a linear baseline, any model family runs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from research_agent.execution.execute import execute
from research_agent.solutions.program import render
from research_agent.solutions.space import default_config, random_config
from research_agent.tasks import TaskFolder, load_task
from research_agent.tasks.simulated import HORIZON, dynamics_windows
from tests.research_agent.helpers import FAST


@pytest.fixture(scope="module")
def dynamics(tasks_dir: Path) -> TaskFolder:
    return load_task("cartpole_dynamics", tasks_dir, runner=execute)


def test_windows_pair_a_state_and_actions_with_the_states_that_follow():
    x, y = dynamics_windows(episodes=2, steps=30, horizon=HORIZON)
    assert x.shape == (6, 5 + HORIZON) and y.shape == (6, 5 * HORIZON)
    # consecutive windows of one episode chain up: the last label state starts the next window
    np.testing.assert_allclose(y[0, -5:], x[1, :5])


def test_the_linear_baseline_beats_copying_the_state(dynamics: TaskFolder):
    x = np.load(dynamics.public_dir / "val_X.npy")
    labels = np.load(dynamics.private_dir / "val_labels.npy")
    copy_rmse = float(np.sqrt(np.mean((np.tile(x[:, :5], HORIZON) - labels) ** 2)))
    assert dynamics.spec.direction == "minimize"
    assert dynamics.spec.baseline_score < 0.6 * copy_rmse


def test_a_single_output_family_is_wrapped_per_target(dynamics: TaskFolder, tmp_path: Path):
    code = render(default_config("svm"), "regression", False)  # SVR predicts one target
    result = execute(dynamics, code, tmp_path / "svm", FAST)
    assert result.error is None, result.stderr[-2000:]  # graded: predictions of shape (n, 50)
    assert np.isfinite(result.score)


@pytest.fixture(scope="module")
def control(tasks_dir: Path) -> TaskFolder:
    return load_task("cartpole_control", tasks_dir, runner=execute)


def test_lqr_on_the_linearised_model_beats_the_random_search_baseline(
    control: TaskFolder, tmp_path: Path
):
    assert 0 < control.spec.baseline_score < 500
    result = execute(control, render(default_config("lqr"), "control"), tmp_path / "lqr", FAST)
    assert result.error is None, result.stderr[-2000:]
    assert control.spec.baseline_score < result.score <= 500  # 500 steps, reward at most 1


def test_the_controller_grader_names_malformed_gains(control: TaskFolder, tmp_path: Path):
    from research_agent.tasks import grade

    for bad, problem in [(np.zeros(4), "must be 5 gains"), (np.full(5, np.nan), "NaN")]:
        np.save(tmp_path / "val_predictions.npy", bad)
        result = grade(control, tmp_path / "val_predictions.npy", "val")
        assert problem in result["error"]


def test_random_controller_configs_keep_the_settings_without_choices(
    control: TaskFolder, tmp_path: Path
):
    rng = np.random.default_rng(0)
    configs = [random_config("control", False, rng) for _ in range(8)]
    searches = [c for c in configs if c["model"] == "random_search"]
    assert searches and all(c["params"]["seed"] == 0 for c in searches)
    small = {**searches[0], "params": {**searches[0]["params"], "iterations": 2, "episodes": 1}}
    result = execute(control, render(small, "control"), tmp_path / "draft", FAST)
    assert result.error is None, result.stderr[-2000:]
