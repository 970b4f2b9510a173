"""Research runs shared by the modules that only read them: one run per search policy on wine,
made once per session (each costs tens of sandboxed executions)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from research_agent.run import research
from research_agent.tasks import TaskFolder
from tests.research_agent.helpers import POLICY_SETTINGS, research_cfg

SearchRun = tuple[Path, dict[str, Any]]


@pytest.fixture(scope="session")
def search_run(
    wine: TaskFolder, tasks_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Callable[[str], SearchRun]:
    """``search_run(policy)``: the folder and metrics of a 6-step run of ``policy`` on wine
    (the shortlist of 2 chosen by 3-fold cross-validation), made on first use. Readers must not
    write into the folder."""
    runs: dict[str, SearchRun] = {}

    def run(policy: str) -> SearchRun:
        if policy not in runs:
            folder = tmp_path_factory.mktemp(f"search_{policy}")
            workers = 2 if policy == "mcts" else 1
            overrides = [f"search={policy}", *POLICY_SETTINGS[policy], "task=wine"]
            overrides += ["budget.steps=6", "selection.candidates=2", f"workers={workers}"]
            runs[policy] = folder, research(research_cfg(tasks_dir, overrides), folder)
        return runs[policy]

    return run
