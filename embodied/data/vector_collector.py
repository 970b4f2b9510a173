"""Data collection with sensor observations (images, text) through Gymnasium vector envs.

For state-only data, :func:`embodied.data.collect_state_episodes` is much faster; this path
renders, so it runs ``num_envs`` copies of an env side by side (``SyncVectorEnv``, or
``AsyncVectorEnv`` processes with ``asynchronous=True``) and cuts their streams into episodes.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import gymnasium as gym
import numpy as np

import embodied
from embodied.data.episodes import observation_array


def _stack(items: list[Any]) -> np.ndarray:
    return np.stack([np.asarray(item) for item in items])


def collect_sensor_episodes(
    env_id: str,
    num_episodes: int,
    num_envs: int = 4,
    seed: int = 0,
    asynchronous: bool = False,
    **env_options: Any,
) -> Iterator[dict[str, np.ndarray]]:
    """Yield ``num_episodes`` random-action episodes of ``env_id`` with all its observations.

    Episodes are in the format of :mod:`embodied.data.episodes`; text observations are stored
    as unicode arrays. ``env_options`` go to ``embodied.make`` (e.g. ``modalities=[...]``).
    """
    if num_episodes < 1 or num_envs < 1:
        raise ValueError(f"num_episodes and num_envs must be >= 1, got {num_episodes}, {num_envs}")
    factories = [lambda: embodied.make(env_id, **env_options) for _ in range(num_envs)]
    vector_cls = gym.vector.AsyncVectorEnv if asynchronous else gym.vector.SyncVectorEnv
    envs = vector_cls(factories, autoreset_mode=gym.vector.AutoresetMode.SAME_STEP)
    envs.action_space.seed(seed)
    try:
        observations, _ = envs.reset(seed=seed)
        keys = list(observations)
        streams = [
            {"obs": [{k: observations[k][i] for k in keys}], "steps": []} for i in range(num_envs)
        ]
        done = 0
        while done < num_episodes:
            actions = envs.action_space.sample()
            observations, rewards, terminated, truncated, infos = envs.step(actions)
            for i, stream in enumerate(streams):
                ended = bool(terminated[i] or truncated[i])
                # with same-step autoreset the final observation of an ended episode is in infos
                source = infos["final_obs"][i] if ended else {k: observations[k][i] for k in keys}
                stream["obs"].append(source)
                stream["steps"].append((actions[i], rewards[i], terminated[i]))
                if ended:
                    if done < num_episodes:
                        yield _episode(stream, keys)
                        done += 1
                    stream["obs"] = [{k: observations[k][i] for k in keys}]
                    stream["steps"] = []
    finally:
        envs.close()


def _episode(stream: dict[str, list], keys: list[str]) -> dict[str, np.ndarray]:
    actions, rewards, terminated = zip(*stream["steps"], strict=True)
    episode = {
        "action": _stack(list(actions)).astype(np.float32),
        "reward": np.asarray(rewards, dtype=np.float32),
        "terminated": np.asarray(terminated, dtype=bool),
    }
    for key in keys:
        episode[key] = observation_array([obs[key] for obs in stream["obs"]])
    return episode
