"""Tasks the simulator generates: *design a world model* and *design a controller* (cart-pole).

For the world model, each sample is the state at time t and the next ``horizon`` actions
(inputs), and the ``horizon`` states that follow (the labels, flattened), from episodes of
smoothed random actions collected with MuJoCo's batched rollout; the metric is the RMSE of the
open-loop prediction. For the controller, the grader runs the solution's gains in the env.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np

HORIZON = 10


def dynamics_windows(
    env_id: str = "cartpole-swingup",
    episodes: int = 60,
    steps: int = 200,
    horizon: int = HORIZON,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Non-overlapping windows of ``env_id`` episodes: X = [state, actions], y = next states."""
    from embodied import make
    from embodied.data.rollout_collector import collect_state_episodes

    env = make(env_id)
    try:
        collected = collect_state_episodes(
            env, episodes, steps, seed=seed, nthread=1, action_smoothing=0.5
        )
        inputs, labels = [], []
        for episode in collected:
            states, actions = episode["proprio"], episode["action"]
            for t in range(0, len(actions) - horizon + 1, horizon):
                inputs.append(np.concatenate([states[t], actions[t : t + horizon].ravel()]))
                labels.append(states[t + 1 : t + 1 + horizon].ravel())
    finally:
        env.close()
    return np.asarray(inputs), np.asarray(labels)


CONTROL_SETUP = {"model": "cartpole.xml", "frame_skip": 2, "episode_steps": 500}


def write_control_task(root: Path, seed: int = 0) -> None:
    """The files of *design a controller*: the MuJoCo model and how the env steps it (public),
    and the seeds of the validation and test episodes (private)."""
    from scenes import asset_path

    shutil.copy(asset_path(CONTROL_SETUP["model"]), root / "public" / CONTROL_SETUP["model"])
    (root / "public" / "setup.json").write_text(json.dumps(CONTROL_SETUP, indent=1))
    seeds = np.random.default_rng(seed).permutation(10_000)
    np.save(root / "private" / "val_labels.npy", seeds[:10])
    np.save(root / "private" / "test_labels.npy", seeds[10:20])
