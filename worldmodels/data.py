"""Episodes in memory, split into training and held-out sets, sampled as sub-trajectories."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

STEP_FIELDS = ("action", "reward", "terminated")


@dataclass
class Batch:
    """Sub-trajectories, time-major: ``obs[name][H+1, B, ...]``, ``action[H, B, A]``, ..."""

    obs: dict[str, Tensor]
    action: Tensor
    reward: Tensor
    terminated: Tensor

    def to(self, device: torch.device) -> Batch:
        return Batch(
            {k: v.to(device, non_blocking=True) for k, v in self.obs.items()},
            self.action.to(device),
            self.reward.to(device),
            self.terminated.to(device),
        )


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
    """Uniform random windows of ``horizon`` actions, from a generator whose state is saved."""

    def __init__(self, data: EpisodeDataset, horizon: int, seed: int) -> None:
        self.data = data
        self.horizon = horizon
        steps, obs = data.starts(horizon)
        if len(steps) == 0:
            raise ValueError(f"no episode is longer than the training horizon {horizon}")
        self.step_starts = torch.from_numpy(steps)
        self.obs_starts = torch.from_numpy(obs)
        self.generator = torch.Generator().manual_seed(seed)

    def sample(self, batch_size: int) -> Batch:
        pick = torch.randint(len(self.step_starts), (batch_size,), generator=self.generator)
        return self.data.window(self.step_starts[pick], self.obs_starts[pick], self.horizon)
