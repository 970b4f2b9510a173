"""Batched, state-only data collection with MuJoCo's native multi-threaded rollout.

Episodes start from the env's own reset distribution (one seed per episode); random action
sequences (uniform, or temporally smoothed for better coverage) are played for a whole batch of
episodes at once by ``mujoco.rollout`` on ``nthread`` threads, and observations, rewards and
terminations are computed from the resulting states by the env's vectorised task functions.
"""

from __future__ import annotations

from collections.abc import Iterator

import mujoco
import mujoco.rollout
import numpy as np

from embodied.mujoco_env import MujocoEnv


def random_actions(
    rng: np.random.Generator,
    shape: tuple[int, int, int],
    low: np.ndarray,
    high: np.ndarray,
    smoothing: float = 0.0,
) -> np.ndarray:
    """Uniform actions ``[B, T, A]`` in the box, low-pass filtered when ``smoothing`` ∈ (0, 1)."""
    if not 0.0 <= smoothing < 1.0:
        raise ValueError(f"action smoothing must be in [0, 1), got {smoothing}")
    noise = rng.uniform(-1.0, 1.0, size=shape)
    if smoothing > 0.0:
        scale = np.sqrt((1 + smoothing) / (1 - smoothing))  # keeps the marginal spread
        for t in range(1, shape[1]):
            noise[:, t] = smoothing * noise[:, t - 1] + (1 - smoothing) * noise[:, t]
        noise = np.clip(noise * scale, -1.0, 1.0)
    return (low + (noise + 1.0) * 0.5 * (high - low)).astype(np.float32)


def collect_state_episodes(
    env: MujocoEnv,
    num_episodes: int,
    steps: int,
    seed: int = 0,
    nthread: int = 2,
    batch_size: int = 64,
    action_smoothing: float = 0.0,
    keep_state: bool = False,
    first_episode: int = 0,
) -> Iterator[dict[str, np.ndarray]]:
    """Yield ``num_episodes`` episodes of at most ``steps`` steps (cut at termination).

    Each episode is a dict in the format of :mod:`embodied.data.episodes`, with ``proprio``
    observations (and ``state`` when ``keep_state``). ``first_episode`` skips that many
    episodes of the ``seed``'s stream (its resets and random actions), so that collections of
    consecutive ranges, e.g. on several workers, add up to one collection.
    """
    if num_episodes < 1 or steps < 1 or batch_size < 1 or nthread < 1 or first_episode < 0:
        raise ValueError(
            "num_episodes, steps, batch_size and nthread must be >= 1 and first_episode >= 0, "
            f"got {num_episodes}, {steps}, {batch_size}, {nthread}, {first_episode}"
        )
    sim = env.unwrapped
    if not isinstance(sim, MujocoEnv):
        raise TypeError(f"state-only collection needs a MuJoCo env, got {type(sim).__name__}")
    low, high = sim.action_space.low, sim.action_space.high
    rng = np.random.default_rng(seed)
    # every action of an episode takes one 64-bit draw of the stream, in episode order
    rng.bit_generator.advance(first_episode * steps * len(low))
    skip = sim.frame_skip
    datas = [mujoco.MjData(sim.model) for _ in range(nthread)]
    with mujoco.rollout.Rollout(nthread=nthread) as rollout:
        for first in range(0, num_episodes, batch_size):
            count = min(batch_size, num_episodes - first)
            starts = []
            for index in range(first, first + count):
                sim.reset(seed=seed + first_episode + index)
                starts.append(sim.physics_state())
            start = np.stack(starts)
            actions = random_actions(rng, (count, steps, len(low)), low, high, action_smoothing)
            states, _ = rollout.rollout(sim.model, datas, start, np.repeat(actions, skip, axis=1))
            states = np.concatenate([start[:, None], states[:, skip - 1 :: skip]], axis=1)
            qpos, qvel = sim.split_state(states)
            proprio = sim.proprio_from_physics(qpos, qvel)
            reward, terminated = sim.outcome_from_physics(qpos[:, 1:], qvel[:, 1:], actions)
            for b in range(count):
                ends = np.flatnonzero(terminated[b])
                length = int(ends[0]) + 1 if len(ends) else steps
                episode = {
                    "action": actions[b, :length],
                    "reward": reward[b, :length].astype(np.float32),
                    "terminated": terminated[b, :length],
                    "proprio": proprio[b, : length + 1].astype(np.float32),
                }
                if keep_state:
                    episode["state"] = states[b, : length + 1]
                yield episode
