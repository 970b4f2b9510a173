"""The online replay buffer: steps trainable at once, windows within one episode."""

import numpy as np
import pytest
import torch

from worldmodels.data import ReplayBuffer


def fill(buffer: ReplayBuffer, lengths: list[int]) -> None:
    """Episodes of ``lengths`` whose proprio observation is (episode, step) and action = step."""
    for e, length in enumerate(lengths):
        buffer.start_episode({"proprio": np.array([e, 0.0], dtype=np.float32)})
        for t in range(length):
            obs = {"proprio": np.array([e, t + 1.0], dtype=np.float32)}
            buffer.add(np.array([t], dtype=np.float32), 10.0 * e + t, t == length - 1, obs)


def test_windows_stay_in_one_episode_and_line_up():
    buffer = ReplayBuffer(["proprio"], horizon=3, seed=0)
    fill(buffer, [2, 5, 1, 4])  # 0 + 3 + 0 + 2 windows
    assert buffer.num_windows == 5 and buffer.num_steps == 12
    batch = buffer.sample(256)
    obs, action = batch.obs["proprio"], batch.action
    assert obs.shape == (4, 256, 2) and action.shape == (3, 256, 1)
    assert (obs[:, :, 0] == obs[:1, :, 0]).all()  # one episode per window
    torch.testing.assert_close(obs[1:, :, 1], obs[:-1, :, 1] + 1)
    torch.testing.assert_close(action[..., 0], obs[:-1, :, 1])  # action t leads from obs t
    torch.testing.assert_close(batch.reward, 10 * obs[:-1, :, 0] + action[..., 0])
    assert set(obs[0, :, 0].tolist()) == {1.0, 3.0}
    last = torch.where(obs[0, :, 0] == 1, 4.0, 3.0)  # the final step of episodes 1 and 3
    assert torch.equal(batch.terminated, action[..., 0] == last)


def test_a_running_episode_is_sampled_before_it_ends_and_storage_grows():
    buffer = ReplayBuffer(["proprio"], horizon=3, seed=0)
    with pytest.raises(ValueError, match="horizon"):
        buffer.sample(1)
    buffer.start_episode({"proprio": np.zeros(2, dtype=np.float32)})
    for t in range(3000):
        buffer.add(np.zeros(1, dtype=np.float32), 1.0, False, {"proprio": np.full(2, t + 1.0)})
        assert buffer.num_windows == max(t - 1, 0)
    assert buffer.num_windows == 2998
    assert buffer.sample(64).obs["proprio"][-1, :, 1].max() > 1024
