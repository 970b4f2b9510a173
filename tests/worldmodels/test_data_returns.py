"""Discounted returns to go of logged episodes: per episode, in the dataset, in the batches."""

import numpy as np
import torch

from worldmodels.data import EpisodeDataset, WindowSampler, returns_to_go


def episode(rewards: list[float], terminated: bool, index: int) -> dict[str, np.ndarray]:
    """An episode whose proprio observation is (episode index, step)."""
    n = len(rewards)
    steps = np.arange(n + 1, dtype=np.float32)
    return {
        "proprio": np.stack([np.full(n + 1, index, np.float32), steps], 1),
        "action": np.zeros((n, 1), np.float32),
        "reward": np.array(rewards, np.float32),
        "terminated": np.arange(n) == n - 1 if terminated else np.zeros(n, bool),
    }


def test_return_to_go_discounts_to_the_episode_end_and_bootstraps_only_a_cut_tail():
    partial, tail = returns_to_go(np.array([1.0, 2.0, 4.0]), np.zeros(3, bool), 0.5)
    np.testing.assert_allclose(partial, [1 + 0.5 * 2 + 0.25 * 4, 2 + 0.5 * 4, 4])
    np.testing.assert_allclose(tail, [0.125, 0.25, 0.5])  # discount**(steps left)
    partial, tail = returns_to_go(np.array([1.0, 2.0, 4.0]), np.array([0, 0, 1], bool), 0.5)
    np.testing.assert_allclose(partial, [3.0, 4.0, 4.0])
    np.testing.assert_allclose(tail, [0.0, 0.0, 0.0])  # nothing after a termination
    assert partial.dtype == tail.dtype == np.float32


def test_dataset_returns_restart_at_each_episode_and_point_at_its_last_observation():
    data = EpisodeDataset(
        [episode([1.0, 1.0], False, 0), episode([2.0, 0.0, 3.0], True, 1)], ["proprio"]
    )
    partial, tail, last = data.returns_to_go(0.9)
    torch.testing.assert_close(partial, torch.tensor([1.9, 1.0, 2.0 + 0.81 * 3, 2.7, 3.0]))
    torch.testing.assert_close(tail, torch.tensor([0.81, 0.9, 0.0, 0.0, 0.0]))
    last_obs = data.obs["proprio"][last]
    torch.testing.assert_close(last_obs, torch.tensor([[0.0, 2]] * 2 + [[1.0, 3]] * 3))


def test_sampler_with_a_discount_draws_the_same_windows_and_lines_up_their_returns():
    rng = np.random.default_rng(0)
    episodes = [episode(list(rng.random(n)), n == 7, i) for i, n in enumerate([5, 7, 9])]
    data = EpisodeDataset(episodes, ["proprio"])
    plain = WindowSampler(data, 3, seed=4).sample(64)
    batch = WindowSampler(data, 3, seed=4, discount=0.8).sample(64)
    assert plain.returns is None
    torch.testing.assert_close(batch.obs, plain.obs)
    assert batch.returns.partial.shape == batch.returns.tail_discount.shape == (3, 64)
    for b in range(64):
        e, t0 = (int(x) for x in batch.obs["proprio"][0, b])
        partial, tail = returns_to_go(episodes[e]["reward"], episodes[e]["terminated"], 0.8)
        np.testing.assert_allclose(batch.returns.partial[:, b], partial[t0 : t0 + 3], rtol=1e-6)
        np.testing.assert_allclose(batch.returns.tail_discount[:, b], tail[t0 : t0 + 3])
        np.testing.assert_array_equal(
            batch.returns.tail_obs["proprio"][b], episodes[e]["proprio"][-1]
        )


def test_returns_travel_with_the_batch():
    data = EpisodeDataset([episode([1.0] * 4, False, 0)], ["proprio"])
    batch = WindowSampler(data, 2, seed=0, discount=0.5).sample(3).to(torch.device("cpu"))
    assert batch.returns is not None and batch.returns.tail_obs["proprio"].shape == (3, 2)
