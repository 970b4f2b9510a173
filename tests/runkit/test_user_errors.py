"""Every user error through every entry point: one line on stderr naming the input, exit code 2,
no traceback, no run folder left behind (runkit/hydra_app.py).

Each case is a real ``python -m <entry point>`` in a fresh folder. A start costs seconds of
imports, so the cases of one test session run side by side in threads, and one case per entry
point runs by default; the rest are marked slow (``-m slow``).
"""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
slow = pytest.mark.slow


def case(case_id: str, command: str, named: str, by_default: bool = False) -> object:
    """``command`` (an entry point and its arguments) must fail naming ``named``."""
    module, *args = command.split()
    return pytest.param(module, args, named, id=case_id, marks=() if by_default else slow)


# one case per entry point runs by default; together they cover every kind of mistake:
# unknown option, key, id, path and a value of the wrong type
CASES = [
    case(
        "episode-id",
        "embodied.episode env.id=cartpole-balanse",
        "cartpole-balanse",
        by_default=True,
    ),
    case("episode-option", "embodied.episode env=cartpol_balance", "did you mean cartpole_balance"),
    case("episode-plus-key", "embodied.episode +episods=2", "did you mean episodes"),
    case("episode-type", "embodied.episode run.seed=abc", "run.seed=abc"),
    case("episode-count", "embodied.episode episodes=0", "episodes=0: must be at least 1"),
    case("episode-device", "embodied.episode run.device=gpu0", "run.device='gpu0'"),
    case("episode-nested-key", "embodied.episode agent.planner.horizn=5", "did you mean horizon"),
    case(
        "episode-path", "embodied.episode agent=wm_mpc agent.checkpoint=nope", "nope does not exist"
    ),
    case("train-plus-key", "worldmodels.train +steps2=1", "did you mean steps", by_default=True),
    case("train-option", "worldmodels.train worldmodel=tiyn", "did you mean tiny"),
    case("train-path", "worldmodels.train data=saved data.path=nope", "nope"),
    case("train-id", "worldmodels.train env.id=reahc", "did you mean reach"),
    case("research-option", "research_agent.run search=mcst", "did you mean mcts", by_default=True),
    case("research-id", "research_agent.run task=wien", "task=wien"),
    case("research-key", "research_agent.run budget.step=3", "did you mean steps"),
    case("research-type", "research_agent.run workers=many", "workers=many"),
    case(
        "leaderboard-path",
        "research_agent.leaderboard runs=[nope]",
        "runs entry nope does not exist",
        by_default=True,
    ),
    case("leaderboard-id", "research_agent.leaderboard method=scoo", "method='scoo'"),
    case("leaderboard-no-runs", "research_agent.leaderboard", "no research runs"),
    case("dashboard-value", "runkit.dashboard port=99999", "port=99999", by_default=True),
    case("dashboard-plus-key", "runkit.dashboard +prot=1", "did you mean port"),
    case("deploy-option", "embodied.deploy robot=reahc", "did you mean reach", by_default=True),
    case("deploy-path", "embodied.deploy agent=wm_mpc checkpoint=nope", "nope does not exist"),
    case("sim-robot-id", "embodied.deploy.sim_robot scene=reahc", "reahc", by_default=True),
    case("sim-robot-type", "embodied.deploy.sim_robot robot.rate_hz=fast", "robot.rate_hz=fast"),
    # a multirun checks every job as a single run is checked, before the first job runs (the
    # jobs are short, so that the old code, which ran the first job, failed quickly)
    case(
        "multirun-key",
        "embodied.episode -m agent=random env.max_episode_steps=2 run.sed=1,2",
        "run.sed=1: unknown key 'sed' (did you mean seed?)",
        by_default=True,
    ),
    case(
        "multirun-id",
        "embodied.episode -m agent=random env.max_episode_steps=2 env.id=reach,reahc",
        "'reahc' (did you mean reach?)",
        by_default=True,
    ),
    case(
        "multirun-option",
        "embodied.episode -m agent=random,mpc_sim,mpcsim env.max_episode_steps=2",
        "agent=mpcsim: no such option (did you mean mpc_sim?)",
    ),
    case(
        "multirun-type",
        "embodied.episode -m agent=random env.max_episode_steps=2 run.seed=1,abc",
        "run.seed=abc",
    ),
    case(
        "multirun-key-of-one-option",
        "embodied.episode -m agent=random,mpc_sim env.max_episode_steps=2 agent.nthread=1",
        "agent.nthread=1: unknown key 'nthread'",
    ),
    # a _target_ that names no object: what is missing, and the targets of the group's options
    case(
        "target-attribute",
        "embodied.episode agent=random agent._target_=embodied.agents.RandomAgnt",
        "module embodied.agents has no attribute RandomAgnt "
        "(did you mean embodied.agents.RandomAgent?); the agent options' targets: ",
        by_default=True,
    ),
    case(
        "target-module",
        "worldmodels.train data._target_=embodied.nope.Source",
        "module embodied has no attribute nope",
    ),
    case("target-package", "embodied.episode agent._target_=nope.Agent", "no module named nope"),
    case("multirun-train-id", "worldmodels.train -m steps=1 env.id=reach,reahc", "reahc"),
    case("multirun-task", "research_agent.run -m budget.steps=1 task=digits,wien", "task=wien"),
]


def _start(module: str, args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MUJOCO_GL": "egl", "HYDRA_FULL_ERROR": ""}
    flags = [arg for arg in args if arg.startswith("-")]  # (-m) before the overrides
    overrides = [arg for arg in args if not arg.startswith("-")]
    command = [sys.executable, "-m", module, *flags, "run.progress=false", *overrides]
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def started(request, tmp_path_factory):
    """Start every selected case of this module at once; map a case id to its future."""
    items = [
        item
        for item in request.session.items
        if item.module is request.module and hasattr(item, "callspec")
    ]
    pool = ThreadPoolExecutor(max_workers=3)
    futures: dict[str, tuple[Path, Future]] = {}
    for item in items:
        params = item.callspec.params
        folder = tmp_path_factory.mktemp(item.callspec.id)
        futures[item.callspec.id] = (
            folder,
            pool.submit(_start, params["module"], params["args"], folder),
        )
    yield futures
    pool.shutdown(cancel_futures=True)


@pytest.mark.parametrize(("module", "args", "named"), CASES)
def test_user_error_is_one_line_exit_2_and_no_run_folder(request, started, module, args, named):
    folder, future = started[request.node.callspec.id]
    result = future.result()
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode == 2, result.stderr[-3000:]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr[-3000:]
    assert named in lines[0]
    assert "Traceback" not in result.stdout + result.stderr
    assert not list(folder.iterdir()), "a failed start left files behind"


# a mistake in the command line is reported before the heavy libraries are imported (issue 34):
# each entry point's start imports only its config schemas and hydra, in one process here
HEAVY = ("torch", "scipy", "mujoco", "matplotlib", "pyspiel", "ray")
LIGHT_STARTS = [
    "embodied.episode env=nope",
    "worldmodels.train worldmodel=tiyn",
    "research_agent.run search=mcst",
    "research_agent.leaderboard runs=[nope]",
    "runkit.dashboard port=99999",
    "embodied.deploy robot=reahc",
    "embodied.deploy.sim_robot robot.rate_hz=fast",
]
_LIGHT_START_SCRIPT = """
import runpy, sys
heavy, starts = sys.argv[1].split(","), sys.argv[2:]
for start in starts:
    module, *args = start.split()
    sys.argv = [module, *args]
    try:
        runpy.run_module(module, run_name="__main__", alter_sys=True)
    except SystemExit as exit:
        assert exit.code == 2, (start, exit.code)
    else:
        raise AssertionError(f"{start} did not fail")
    imported = [name for name in heavy if name in sys.modules]
    assert not imported, f"{start} imported {imported} before reporting the mistake"
"""


def test_a_mistake_is_reported_before_torch_and_the_simulators_are_imported(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MUJOCO_GL": "egl", "HYDRA_FULL_ERROR": ""}
    command = [sys.executable, "-c", _LIGHT_START_SCRIPT, ",".join(HEAVY), *LIGHT_STARTS]
    result = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stderr.count("error: ") == len(LIGHT_STARTS), result.stderr
    assert not list(tmp_path.iterdir()), "a failed start left files behind"
