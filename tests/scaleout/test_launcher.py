"""Hydra sweeps through the submitit launcher presets: Slurm's settings, tried locally."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import research_agent.config  # noqa: F401  (registers the research schemas)
from tests.hydra_compose import compose_config


def test_slurm_preset_composes_onto_the_submitit_slurm_launcher():
    cfg = compose_config("research", ["hydra/launcher=slurm", "hydra.launcher.partition=gpu"])
    launcher = cfg.hydra.launcher
    assert launcher._target_.endswith("SlurmLauncher")
    assert launcher.partition == "gpu" and launcher.gpus_per_node == 1


def test_tiny_multirun_through_the_local_submitit_launcher(tmp_path: Path):
    cmd = [sys.executable, "-m", "embodied.episode", "-m", "hydra/launcher=slurm_local",
           "agent=random", "env.max_episode_steps=20", "record=false", "run.progress=false",
           "run.seed=0,1", f"hydra.sweep.dir={tmp_path}"]  # fmt: skip
    subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=300)
    returns = [json.loads((tmp_path / f"{job}" / "metrics.json").read_text()) for job in (0, 1)]
    assert [m["episodes"][0]["length"] for m in returns] == [20, 20]
    assert returns[0]["return_mean"] != returns[1]["return_mean"]  # run.seed reached each job
    assert (tmp_path / ".submitit").is_dir()  # the jobs went through submitit


def test_tiny_multirun_through_the_ray_launcher(tmp_path: Path):
    cmd = [sys.executable, "-m", "embodied.episode", "-m", "hydra/launcher=ray",
           "hydra.launcher.local_cpus=2", "agent=random", "env.max_episode_steps=20",
           "record=false", "run.progress=false", "run.seed=0,1",
           f"hydra.sweep.dir={tmp_path}"]  # fmt: skip
    done = subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=300)
    assert "launching 2 jobs on Ray" in done.stdout + done.stderr
    returns = [json.loads((tmp_path / f"{job}" / "metrics.json").read_text()) for job in (0, 1)]
    assert [m["episodes"][0]["length"] for m in returns] == [20, 20]
    assert returns[0]["return_mean"] != returns[1]["return_mean"]  # run.seed reached each job
