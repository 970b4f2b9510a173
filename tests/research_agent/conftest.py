"""A tiny built-in task prepared once per test session, and fast sandbox limits."""

from __future__ import annotations

from pathlib import Path

import pytest

from research_agent.execution.execute import execute
from research_agent.execution.sandbox import Limits
from research_agent.tasks import TaskFolder, load_task

FAST = Limits(wall_s=20.0, memory_mb=2048, nproc=32)


@pytest.fixture(scope="session")
def tasks_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("research_tasks")


@pytest.fixture(scope="session")
def wine(tasks_dir: Path) -> TaskFolder:
    """The smallest built-in task (178 samples), baseline scored in the sandbox."""
    return load_task("wine", tasks_dir, runner=execute)
