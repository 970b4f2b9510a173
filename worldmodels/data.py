"""Episodes in memory, split into training and held-out sets, sampled as sub-trajectories
(with each step's discounted return-to-go when asked); the online replay buffer of agents
that learn as they act."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

STEP_FIELDS = ("action", "reward", "terminated")


@dataclass
class ReturnToGo:
    """The logged episode's discounted return from each step of a window on: ``partial[H, B]``
    sums the rewards to the episode's end; where the episode was cut (not terminated) its tail
    is worth ``tail_discount[H, B]`` (the discount to the end, 0 after a termination) times
    the value of its last observation ``tail_obs[name][B, ...]``."""

    partial: Tensor
    tail_discount: Tensor
    tail_obs: dict[str, Tensor]

    def to(self, device: torch.device) -> ReturnToGo:
        return ReturnToGo(
            self.partial.to(device),
            self.tail_discount.to(device),
            {k: v.to(device, non_blocking=True) for k, v in self.tail_obs.items()},
        )


@dataclass
class Batch:
    """Sub-trajectories, time-major: ``obs[name][H+1, B, ...]``, ``action[H, B, A]``, ...;
    ``returns`` only from a sampler asked for them (complete logged episodes)."""

    obs: dict[str, Tensor]
    action: Tensor
    reward: Tensor
    terminated: Tensor
    returns: ReturnToGo | None = None

    def to(self, device: torch.device) -> Batch:
        return Batch(
            {k: v.to(device, non_blocking=True) for k, v in self.obs.items()},
            self.action.to(device),
            self.reward.to(device),
            self.terminated.to(device),
            None if self.returns is None else self.returns.to(device),
        )


def returns_to_go(
    reward: np.ndarray, terminated: np.ndarray, discount: float
) -> tuple[np.ndarray, np.ndarray]:
    """One episode's discounted return from each step to its end, ``G_t = r_t + discount·(1 −
    done_t)·G_{t+1}``, and the discount ``D_t`` its tail (the value after the last step) gets:
    ``discount**(n − t)``, 0 from a terminated step back. Both ``[n]``, float32."""
    n = len(reward)
    partial, tail = np.zeros(n + 1), np.ones(n + 1)
    for t in range(n - 1, -1, -1):
        go_on = discount * (1.0 - float(terminated[t]))
        partial[t] = float(reward[t]) + go_on * partial[t + 1]
        tail[t] = go_on * tail[t + 1]
    return partial[:n].astype(np.float32), tail[:n].astype(np.float32)


class EpisodeDataset:
    """Episodes (dicts in the format of ``embodied.data.episodes``) concatenated into tensors.

    Only ``modalities`` are kept of the observations. Sub-trajectories of ``horizon`` actions
    are drawn from within one episode each.
    """

    def __init__(self, episodes: Iterable[Mapping[str, np.ndarray]], modalities: list[str]):
        episodes = list(episodes)
        if not episodes:
            raise ValueError("the data source yielded no episodes")
        missing = [m for m in modalities if m not in episodes[0]]
        if missing:
            fields = sorted(k for k in episodes[0] if k not in STEP_FIELDS)
            raise ValueError(f"episodes have no {missing} observations; they have {fields}")
        self.lengths = np.array([len(e["action"]) for e in episodes])
        self.obs = {
            m: torch.from_numpy(np.concatenate([e[m] for e in episodes])) for m in modalities
        }
        self.action = torch.from_numpy(np.concatenate([e["action"] for e in episodes])).float()
        self.reward = torch.from_numpy(np.concatenate([e["reward"] for e in episodes])).float()
        self.terminated = torch.from_numpy(np.concatenate([e["terminated"] for e in episodes]))
        self.step_offsets = np.concatenate([[0], np.cumsum(self.lengths)[:-1]])

    @property
    def num_episodes(self) -> int:
        return len(self.lengths)

    @property
    def action_dim(self) -> int:
        return self.action.shape[1]

    @property
    def obs_shapes(self) -> dict[str, tuple[int, ...]]:
        return {k: tuple(v.shape[1:]) for k, v in self.obs.items()}

    def starts(self, horizon: int) -> tuple[np.ndarray, np.ndarray]:
        """Step and observation indices of every window of ``horizon`` actions."""
        steps, obs = [], []
        for e, (offset, length) in enumerate(zip(self.step_offsets, self.lengths, strict=True)):
            local = np.arange(max(length - horizon + 1, 0))
            steps.append(offset + local)
            obs.append(offset + e + local)
        return np.concatenate(steps), np.concatenate(obs)

    def returns_to_go(self, discount: float) -> tuple[Tensor, Tensor, Tensor]:
        """Per step: the discounted return to its episode's end, the discount of the tail
        after it (:func:`returns_to_go`) and the index of its episode's last observation."""
        partial, tail, last = [], [], []
        for e, (offset, length) in enumerate(zip(self.step_offsets, self.lengths, strict=True)):
            steps = slice(offset, offset + length)
            p, d = returns_to_go(
                self.reward[steps].numpy(), self.terminated[steps].numpy(), discount
            )
            partial.append(p)
            tail.append(d)
            last.append(np.full(length, offset + e + length))
        joined = [torch.from_numpy(np.concatenate(x)) for x in (partial, tail, last)]
        return joined[0], joined[1], joined[2]

    def window(self, step_idx: Tensor, obs_idx: Tensor, horizon: int) -> Batch:
        """The windows starting at ``step_idx``/``obs_idx`` (``[B]`` each)."""
        t = torch.arange(horizon)
        steps = step_idx[None] + t[:, None]
        obs = obs_idx[None] + torch.arange(horizon + 1)[:, None]
        return Batch(
            {k: v[obs] for k, v in self.obs.items()},
            self.action[steps],
            self.reward[steps],
            self.terminated[steps],
        )

    def subset(self, indices: Iterable[int]) -> EpisodeDataset:
        """A dataset of the episodes at ``indices``."""
        return EpisodeDataset([self.episode(i) for i in indices], list(self.obs))

    def episode(self, index: int) -> dict[str, np.ndarray]:
        """Episode ``index`` as a dict of arrays."""
        s, n = int(self.step_offsets[index]), int(self.lengths[index])
        o = s + index
        out = {k: v[o : o + n + 1].numpy() for k, v in self.obs.items()}
        out.update(
            action=self.action[s : s + n].numpy(),
            reward=self.reward[s : s + n].numpy(),
            terminated=self.terminated[s : s + n].numpy(),
        )
        return out

    def split(self, heldout_fraction: float) -> tuple[EpisodeDataset, EpisodeDataset]:
        """Training episodes and the last ``heldout_fraction`` (at least one) held out."""
        if self.num_episodes < 2:
            raise ValueError("need at least 2 episodes to hold some out for evaluation")
        held = min(max(1, round(heldout_fraction * self.num_episodes)), self.num_episodes - 1)
        cut = self.num_episodes - held
        return self.subset(range(cut)), self.subset(range(cut, self.num_episodes))


class WindowSampler:
    """Uniform random windows of ``horizon`` actions, from a generator whose state is saved.

    With a ``discount`` each batch also carries the logged episodes' discounted returns to go
    (:class:`ReturnToGo`), computed once here; the windows drawn are the same either way.
    """

    def __init__(
        self, data: EpisodeDataset, horizon: int, seed: int, discount: float | None = None
    ) -> None:
        self.data = data
        self.horizon = horizon
        steps, obs = data.starts(horizon)
        if len(steps) == 0:
            raise ValueError(f"no episode is longer than the training horizon {horizon}")
        self.step_starts = torch.from_numpy(steps)
        self.obs_starts = torch.from_numpy(obs)
        self.generator = torch.Generator().manual_seed(seed)
        self.returns = None if discount is None else data.returns_to_go(discount)

    def sample(self, batch_size: int) -> Batch:
        pick = torch.randint(len(self.step_starts), (batch_size,), generator=self.generator)
        step_idx = self.step_starts[pick]
        batch = self.data.window(step_idx, self.obs_starts[pick], self.horizon)
        if self.returns is not None:
            partial, tail, last = self.returns
            steps = step_idx[None] + torch.arange(self.horizon)[:, None]
            tail_obs = {k: v[last[step_idx]] for k, v in self.data.obs.items()}
            batch.returns = ReturnToGo(partial[steps], tail[steps], tail_obs)
        return batch


class ReplayBuffer:
    """Online experience, one transition at a time, sampled as windows of ``horizon`` actions.

    Unlike :class:`EpisodeDataset` a step can be sampled as soon as it is added, so the data
    of a long episode trains the model while the episode still runs (as a pendulum that stays
    up for 1000 steps needs). Windows never cross an episode boundary. Storage grows by
    doubling; sampling draws from a generator seeded with ``seed``.
    """

    def __init__(self, modalities: list[str], horizon: int, seed: int) -> None:
        self.modalities, self.horizon = list(modalities), horizon
        self.generator = torch.Generator().manual_seed(seed)
        self._obs: dict[str, Tensor] = {}
        self._step: dict[str, Tensor] = {}  # action, reward, terminated and obs_index per step
        self._window: dict[str, Tensor] = {}  # "start": the steps that begin a full window
        self.num_obs = self.num_steps = self.num_windows = 0
        self._episode_start = 0  # first step of the current episode

    @staticmethod
    def _put(store: dict[str, Tensor], key: str, index: int, value: Tensor) -> None:
        """``store[key][index] = value``, allocating or doubling ``store[key]`` as needed."""
        buf = store.get(key)
        if buf is None or index >= len(buf):
            grown = torch.zeros((max(1024, 2 * index), *value.shape), dtype=value.dtype)
            if buf is not None:
                grown[: len(buf)] = buf
            store[key] = buf = grown
        buf[index] = value

    def _add_obs(self, observation: Mapping[str, np.ndarray]) -> None:
        for m in self.modalities:
            self._put(self._obs, m, self.num_obs, torch.as_tensor(np.asarray(observation[m])))
        self.num_obs += 1

    def start_episode(self, observation: Mapping[str, np.ndarray]) -> None:
        """Begin an episode at its first ``observation``."""
        self._episode_start = self.num_steps
        self._add_obs(observation)

    def add(
        self,
        action: np.ndarray,
        reward: float,
        terminated: bool,
        observation: Mapping[str, np.ndarray],
    ) -> None:
        """The transition by ``action`` to ``observation`` in the current episode."""
        step = {
            "action": torch.as_tensor(np.asarray(action, dtype=np.float32)),
            "reward": torch.tensor(reward, dtype=torch.float32),
            "terminated": torch.tensor(terminated),
            "obs_index": torch.tensor(self.num_obs - 1),
        }
        for key, value in step.items():
            self._put(self._step, key, self.num_steps, value)
        self._add_obs(observation)
        self.num_steps += 1
        start = self.num_steps - self.horizon
        if start >= self._episode_start:
            self._put(self._window, "start", self.num_windows, torch.tensor(start))
            self.num_windows += 1

    def sample(self, batch_size: int) -> Batch:
        """``batch_size`` uniformly drawn windows (at least one must exist)."""
        if self.num_windows == 0:
            raise ValueError(f"no episode is longer than the training horizon {self.horizon}")
        pick = torch.randint(self.num_windows, (batch_size,), generator=self.generator)
        steps = self._window["start"][pick][None] + torch.arange(self.horizon)[:, None]
        obs_index = self._step["obs_index"][steps[0]]
        obs = obs_index[None] + torch.arange(self.horizon + 1)[:, None]
        return Batch(
            {k: v[obs] for k, v in self._obs.items()},
            self._step["action"][steps],
            self._step["reward"][steps],
            self._step["terminated"][steps],
        )
