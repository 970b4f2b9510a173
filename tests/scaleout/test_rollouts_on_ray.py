"""Episodes and world-model data collection on Ray give what the local executor gives."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hydra.utils import instantiate
from omegaconf import OmegaConf

from embodied.data import SimulatorCollection
from embodied.data.ray_rollouts import episodes_on_ray, split
from embodied.episode import run
from tests.hydra_compose import compose_config

EPISODE = ["agent=random", "env.max_episode_steps=40", "episodes=3", "record_episodes=1",
           "run.progress=false", "run.seed=2"]  # fmt: skip


def _config(name: str, overrides: list[str]):
    cfg = compose_config(name, overrides)
    OmegaConf.set_struct(cfg, False)
    cfg.pop("hydra")
    return cfg


def _same_episodes(a: list[dict], b: list[dict]) -> bool:
    return len(a) == len(b) and all(
        x.keys() == y.keys() and all(np.array_equal(x[k], y[k]) for k in x)
        for x, y in zip(a, b, strict=True)
    )


def test_split_covers_the_range_in_order():
    assert split(10, 3) == [(0, 3), (3, 4), (7, 3)]
    assert split(2, 5) == [(0, 1), (1, 1)]
    with pytest.raises(ValueError, match="parts >= 1"):
        split(4, 0)


def test_collection_on_ray_is_the_local_collection(ray_local, tmp_path: Path):
    cfg = _config("train_worldmodel", ["executor=ray", "data.num_episodes=7", "data.steps=25",
                                       "data.workers=3", f"data.save_to={tmp_path}"])  # fmt: skip
    source = instantiate(cfg.data)
    assert source.executor == "ray" and source.workers == 3
    on_ray = list(source.episodes(seed=5))
    local = list(SimulatorCollection("cartpole-balance", 7, 25).episodes(seed=5))
    assert _same_episodes(on_ray, local)
    assert json.loads((tmp_path / "dataset.json").read_text())["lengths"] == [25] * 7
    other_seed = list(SimulatorCollection("cartpole-balance", 7, 25).episodes(seed=6))
    assert not _same_episodes(on_ray, other_seed)


def test_episode_entry_point_on_ray_matches_local(ray_local, tmp_path: Path):
    local = run(_config("episode", [*EPISODE, "executor=local"]), tmp_path / "local")
    on_ray = run(_config("episode", [*EPISODE, "executor=ray"]), tmp_path / "ray")

    def outcome(metrics: dict) -> list[tuple]:
        return [(e["return"], e["length"], e["terminated"]) for e in metrics["episodes"]]

    assert outcome(on_ray) == outcome(local) and len(outcome(local)) == 3
    assert len({e["return"] for e in on_ray["episodes"]}) == 3  # seeds differ per episode
    assert sorted(p.name for p in (tmp_path / "ray" / "videos").iterdir()) == ["episode_000.mp4"]


def test_agent_that_learns_across_episodes_is_refused_on_ray():
    with pytest.raises(ValueError, match=r"agent\.learn=true"):
        episodes_on_ray({"id": "cartpole-balance"}, {"learn": True}, [0], [False])


def test_unknown_executor_is_named(tmp_path: Path):
    with pytest.raises(ValueError, match="executor='threads'"):
        run(_config("episode", [*EPISODE, "executor=threads"]), tmp_path)
    with pytest.raises(ValueError, match="executor='threads'"):
        SimulatorCollection("cartpole-balance", executor="threads")
