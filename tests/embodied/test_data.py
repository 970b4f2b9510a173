"""Batched state-only collection reproduces real env steps; the episode format round-trips."""

import numpy as np
import pytest

import embodied
from embodied.data import (
    EpisodeWriter,
    SavedEpisodes,
    SimulatorCollection,
    collect_sensor_episodes,
    collect_state_episodes,
    load_dataset,
    load_episode,
)
from embodied.envs.inverted_pendulum import InvertedPendulumEnv
from worldmodels.text_encoder import text_lengths


@pytest.fixture(scope="module")
def episodes():
    env = InvertedPendulumEnv()
    return env, list(collect_state_episodes(env, 6, 40, seed=3, nthread=2, keep_state=True))


def test_native_rollout_episodes_match_stepping_the_env(episodes):
    env, eps = episodes
    assert len(eps) == 6
    for index, episode in enumerate(eps):
        observation, _ = env.reset(seed=3 + index)
        np.testing.assert_allclose(observation["proprio"], episode["proprio"][0])
        for t, action in enumerate(episode["action"]):
            observation, reward, terminated, _, _ = env.step(action)
            np.testing.assert_allclose(observation["proprio"], episode["proprio"][t + 1], atol=1e-6)
            assert reward == episode["reward"][t] and terminated == episode["terminated"][t]
        # episodes are cut at the first termination
        assert not episode["terminated"][:-1].any()


def test_episode_files_round_trip_and_keep_a_manifest(tmp_path, episodes):
    _, eps = episodes
    writer = EpisodeWriter(tmp_path, "inverted-pendulum", info={"policy": "random"})
    for episode in eps:
        writer.add(episode)
    manifest, loaded = load_dataset(tmp_path)
    assert manifest["lengths"] == [len(e["action"]) for e in eps]
    assert manifest["fields"]["proprio"] == {"shape": [4], "dtype": "float32"}
    for a, b in zip(eps, loaded, strict=True):
        assert a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)
    assert len(list(SavedEpisodes(str(tmp_path)).episodes())) == len(eps)
    # appending to a dataset of another env is refused
    with pytest.raises(ValueError, match="inverted-pendulum"):
        EpisodeWriter(tmp_path, "cartpole-balance")


def test_bad_episode_files_give_clear_errors(tmp_path, episodes):
    _, eps = episodes
    broken = dict(eps[0], reward=eps[0]["reward"][:-1])
    with pytest.raises(ValueError, match="reward"):
        EpisodeWriter(tmp_path, "inverted-pendulum").add(broken)
    corrupt = tmp_path / "episode_000000.npz"
    corrupt.write_bytes(b"not an npz")
    with pytest.raises(ValueError, match=r"episode_000000\.npz"):
        load_episode(corrupt)
    with pytest.raises(FileNotFoundError, match=r"nowhere is not an episode dataset: it does not"):
        load_dataset(tmp_path / "nowhere")
    with pytest.raises(
        FileNotFoundError, match=r"is not an episode dataset: it has no dataset\.json"
    ):
        load_dataset(tmp_path)


def test_sensor_episodes_from_vector_envs_replay_in_a_fresh_env(tmp_path):
    options = {"max_episode_steps": 12, "modalities": ("proprio", "rgb", "text")}
    eps = list(collect_sensor_episodes("reach", 3, num_envs=2, seed=5, **options))
    assert [len(e["action"]) for e in eps] == [12, 12, 12]
    first = eps[0]
    assert first["rgb"].shape == (13, 64, 64, 3) and first["rgb"].dtype == np.uint8
    # the instruction is stored as padded token ids of SmolLM2's tokenizer, not as a string
    assert first["text"].shape == (13, 128) and first["text"].dtype == np.int32
    assert (text_lengths(first["text"]) > 0).all()
    env = embodied.make("reach", **options)
    observation, _ = env.reset(seed=5)  # the vector env seeds its first copy with the seed
    np.testing.assert_allclose(observation["proprio"], first["proprio"][0])
    for t, action in enumerate(first["action"]):
        observation, reward, *_ = env.step(action)
        np.testing.assert_allclose(observation["proprio"], first["proprio"][t + 1], atol=1e-5)
        assert reward == pytest.approx(first["reward"][t], abs=1e-5)
    writer = EpisodeWriter(tmp_path, "reach")
    writer.add(first)
    _, loaded = load_dataset(tmp_path)
    assert np.array_equal(loaded[0]["rgb"], first["rgb"])


def test_the_simulator_source_collects_scene_envs_through_gymnasium():
    episodes = list(SimulatorCollection("reach", num_episodes=3, steps=7).episodes(seed=2))
    assert [len(e["action"]) for e in episodes] == [7, 7, 7]
    assert episodes[0]["proprio"].shape[0] == 8 and "goal" in episodes[0]
    again = list(SimulatorCollection("reach", num_episodes=3, steps=7).episodes(seed=2))
    np.testing.assert_array_equal(again[2]["action"], episodes[2]["action"])
