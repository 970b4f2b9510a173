"""Run folders made by the real entry points at tiny budgets, the real dashboard entry point
serving them, and headless Chromium (Debian's) driven by Playwright."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from runkit.dashboard.server import free_port

REPO = Path(__file__).resolve().parents[3]
CHROMIUM = os.environ.get("DASHBOARD_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
QUIET = ["run.progress=false", "run.seed=0"]
COMMANDS = {
    "episode": ["embodied.episode", "agent=random", "env.max_episode_steps=30"],
    # the helper reasons aloud (Agent.explain): steps.jsonl holds its posterior and dialogue
    "helper": [
        "embodied.episode",
        "env=help_household",
        "agent=helper",
        "agent.llm=null",
        "agent.num_particles=128",
        "env.max_episode_steps=40",
        "hydra.run.dir=outputs/episode/helper",
    ],
    "research": [
        "research_agent.run",
        "budget.steps=3",
        "search.num_drafts=2",
        "selection.folds=0",
    ],
    "live": [
        "research_agent.run",
        "budget.steps=200",
        "selection.folds=0",
        "hydra.run.dir=outputs/research/digits/live",
    ],
    # fails after its run folder is made, when the agent is built (not a usage error, whose
    # start leaves no folder: an unknown env id would)
    "failing": [
        "embodied.episode",
        "agent._target_=no_such_agent.Agent",
        "hydra.run.dir=outputs/episode/failing",
    ],
    "train_worldmodel": [
        "worldmodels.train",
        "worldmodel=tiny",
        "data.num_episodes=12",
        "data.steps=60",
        "trainer.batch_size=32",
        "steps=20",
        "tensorboard=true",
        "eval.plot=true",
        "cpu_threads=1",
        # the page shows the curves and plots; 20 planned steps make its agent return and
        # video (250 cost two CPU-minutes, most of this fixture)
        "agent_eval.steps=20",
        "agent_eval.video_steps=20",
    ],
}
# runs that go on beside the others and the tests (niced: the finite runs come first)
BACKGROUND = {"live"}


def _env() -> dict[str, str]:
    path = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PYTHONPATH": path, "MUJOCO_GL": "egl"}


def _start(name: str, root: Path, args: list[str]) -> subprocess.Popen:
    log = (root / f"{name}.out").open("w")
    nice = ["nice", "-n", "10"] if name in BACKGROUND else []
    return subprocess.Popen(
        [*nice, sys.executable, "-m", *args, *QUIET],
        cwd=root,
        env=_env(),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _wait(process: subprocess.Popen, name: str, root: Path, timeout: float = 300) -> None:
    if process.wait(timeout=timeout) != 0:
        raise RuntimeError(f"{name} failed:\n{(root / f'{name}.out').read_text()[-3000:]}")


@pytest.fixture(scope="session")
def root(tmp_path_factory):
    return tmp_path_factory.mktemp("dashboard_runs")


@pytest.fixture(scope="session")
def runs_root(root, dashboard_process):
    """A folder whose outputs/ holds two episode runs (random, helper), a research run, a
    world-model training run and a leaderboard, all made by the entry points; a second research
    run (``live``) still runs. The dashboard starts beside them."""
    processes = {name: _start(name, root, args) for name, args in COMMANDS.items()}
    try:
        for name in ("episode", "helper", "research", "train_worldmodel"):
            _wait(processes[name], name, root)
        assert processes["failing"].wait(timeout=300) != 0
        board = _start(
            "leaderboard",
            root,
            [
                "research_agent.leaderboard",
                "bootstrap=0",
                f"runs=[{root / 'outputs' / 'research'}]",
            ],
        )
        _wait(board, "leaderboard", root)
        yield root, processes["live"]
    finally:
        for process in processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


@pytest.fixture(scope="session")
def dashboard_process(root):
    """``python -m runkit.dashboard`` serving ``root`` (started, not yet waited for)."""
    port = free_port()
    log = (root / "dashboard.out").open("w")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "runkit.dashboard",
            f"port={port}",
            "run.progress=false",
            f"hydra.run.dir={root / 'dashboard_run'}",
        ],
        cwd=root,
        env=_env(),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    yield process, f"http://127.0.0.1:{port}"
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=30)


@pytest.fixture(scope="session")
def dashboard(root, runs_root, dashboard_process):
    """The base URL of the dashboard serving ``runs_root``, once it answers."""
    process, base = dashboard_process
    deadline = time.monotonic() + 90
    while True:
        try:
            urllib.request.urlopen(base + "/api/runs", timeout=5).read()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError((root / "dashboard.out").read_text()) from None
            time.sleep(0.3)
    return base


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).is_file():
        pytest.skip(f"no Chromium at {CHROMIUM} (scripts/install_system_packages.sh installs it)")
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory):
    """Where the pages' screenshots go (``DASHBOARD_SCREENSHOTS`` or a pytest tmp folder)."""
    folder = Path(os.environ.get("DASHBOARD_SCREENSHOTS") or tmp_path_factory.mktemp("screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="session")
def browser_context(browser):
    """One context for all pages, so plotly.js is loaded and compiled once."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(90_000)
    context.set_default_navigation_timeout(90_000)
    yield context
    context.close()


@pytest.fixture
def page(browser_context):
    """A page that records console errors and page errors (``page.problems``)."""
    tab = browser_context.new_page()
    tab.problems = []
    tab.on("console", lambda m: m.type == "error" and tab.problems.append(m.text))
    tab.on("pageerror", lambda e: tab.problems.append(f"page error: {e}"))
    yield tab
    tab.close()
