"""Shared test setup: headless rendering, one torch thread, a built-in research task prepared
once per test session (the research-agent and scale-out tests use it) and the embedded language
model loaded once per session."""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("MUJOCO_GL", "egl")

import pytest
import torch


@pytest.fixture
def one_torch_thread():
    """Small models train fastest on one thread of the shared 2-core machine."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="session")
def tasks_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("research_tasks")


@pytest.fixture(scope="session")
def wine(tasks_dir: Path):
    """The smallest built-in task (178 samples), baseline scored in the sandbox."""
    # only the tests that ask for it import the agent
    from research_agent.execution.execute import execute
    from research_agent.tasks import load_task

    return load_task("wine", tasks_dir, runner=execute)


@pytest.fixture(scope="session")
def embedded_model():
    """The embedded language model on the CPU in float32, loaded once for every module that asks
    (loading it costs about half a CPU-minute). Its users only read it (usage counts grow)."""
    from worldmodels.language.embedded import EmbeddedModel

    return EmbeddedModel(device="cpu")
