"""The text modality: instructions as padded token ids in episodes, a learned pooled encoder,
masking, and on the household scene a model that reads the instruction."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import embodied
from embodied.agents.scripted import ScriptedAgent
from embodied.data import EpisodeWriter, load_episode
from embodied.data.episodes import observation_array
from scenes.library import GRASPABLES
from worldmodels.config import TrainerConfig, WorldModelConfig
from worldmodels.data import EpisodeDataset, WindowSampler
from worldmodels.model import WorldModel
from worldmodels.text_encoder import PAD, TextEncoder, text_lengths, tokenize
from worldmodels.trainer import WorldModelTrainer

MODALITIES = ["proprio", "text"]


def household_episodes(num: int, steps: int, noise: float, seed: int) -> list[dict]:
    """Episodes of the scripted expert on the household scene with Gaussian action noise; the
    instruction stored as byte-token ids (the SmolLM2 path is the slow test's)."""
    env = embodied.make("household", modalities=MODALITIES, max_episode_steps=steps)
    agent, rng = ScriptedAgent(env), np.random.default_rng(seed)
    low, high = env.action_space.low, env.action_space.high
    episodes = []
    for i in range(num):
        observation, _ = env.reset(seed=seed + i)
        observations, actions, rewards, ends = [observation], [], [], []
        done = False
        while not done:
            action = agent.act(observation) + rng.normal(0.0, noise, low.shape)
            action = np.clip(action, low, high).astype(np.float32)
            observation, reward, terminated, truncated, _ = env.step(action)
            observations.append(observation)
            actions.append(action)
            rewards.append(reward)
            ends.append(terminated)
            done = terminated or truncated
        episode = {
            "action": np.stack(actions),
            "reward": np.asarray(rewards, dtype=np.float32),
            "terminated": np.asarray(ends),
        }
        for key in MODALITIES:
            episode[key] = observation_array([o[key] for o in observations], None, "bytes")
        episodes.append(episode)
    env.close()
    return episodes


def small_config(modalities: list[str]) -> WorldModelConfig:
    """A model small enough to train in seconds; rewards here are a few hundredths, so the
    two-hot bins span [-1, 1]."""
    return WorldModelConfig(
        modalities=modalities,
        latent_dim=32,
        hidden_dim=64,
        encoder_dim=32,
        num_q=2,
        vmin=-1.0,
        vmax=1.0,
        num_bins=41,
        text_tokenizer="bytes",
    )


def train(data: EpisodeDataset, modalities: list[str], steps: int) -> WorldModel:
    """A model of ``modalities`` trained ``steps`` updates (same seed, data and steps)."""
    torch.manual_seed(0)
    model = WorldModel(
        small_config(modalities), {m: data.obs_shapes[m] for m in modalities}, data.action_dim
    )
    model.fit_normalizers(data.obs)
    cfg = TrainerConfig(batch_size=32, reward_coef=1.0, learning_rate=3e-3, encoder_lr_scale=1.0)
    trainer = WorldModelTrainer(model, cfg, torch.device("cpu"))
    sampler = WindowSampler(data, horizon=3, seed=1)
    for _ in range(steps):
        trainer.update(sampler.sample(32))
    return model


def reward_error(model: WorldModel, heldout: EpisodeDataset) -> float:
    """Mean absolute error of the one-step reward prediction on every held-out step."""
    steps, obs = heldout.starts(1)
    batch = heldout.window(torch.from_numpy(steps), torch.from_numpy(obs), 1)
    first = {k: v[0] for k, v in batch.obs.items() if k in model.encoder.modalities}
    with torch.no_grad():
        predicted = model.predict_rewards(first, batch.action)
    return float((predicted - batch.reward).abs().mean())


def goal_direction_accuracy(model: WorldModel, heldout: EpisodeDataset) -> float:
    """How often the drive direction (of 16) with the highest predicted reward points at the
    instructed object (within about 45°), over held-out start states × every instruction."""
    starts = heldout.obs["proprio"][heldout.step_offsets + np.arange(heldout.num_episodes)]
    angles = torch.linspace(0, 2 * np.pi, 17)[:-1]
    directions = torch.stack([angles.cos(), angles.sin()], -1)
    actions = torch.zeros(16, model.action_dim)
    actions[:, :2] = directions
    n, hits = len(starts), []
    for _, description, position, _ in GRASPABLES:
        obs = {"proprio": starts.repeat_interleave(16, 0)}
        if "text" in model.encoder.modalities:
            ids = tokenize([f"Go to {description}."], "bytes")
            obs["text"] = torch.from_numpy(ids).expand(n * 16, -1)
        with torch.no_grad():
            reward = model.reward(model.encode(obs), actions.repeat(n, 1)).view(n, 16)
        best = directions[reward.argmax(1)]
        towards = torch.tensor(position[:2]) - starts[:, :2]
        hits.append(((best * towards).sum(-1) / towards.norm(dim=-1) > 0.7).float().mean())
    return float(torch.stack(hits).mean())


# token ids and the data path


def test_tokenize_pads_with_pad_and_counts_lengths():
    ids = tokenize(["Go to the mug.", ""], "bytes", 16)
    assert ids.dtype == np.int32 and ids.shape == (2, 16)
    assert list(text_lengths(ids)) == [14, 0]
    assert (ids[0, 14:] == PAD).all() and (ids[1] == PAD).all()


def test_tokenize_rejects_bad_input_with_clear_errors():
    with pytest.raises(ValueError, match="max_tokens=4"):
        tokenize(["Go to the mug."], "bytes", 4)
    with pytest.raises(TypeError, match="not a str"):
        tokenize([3], "bytes")  # type: ignore[list-item]
    with pytest.raises(ValueError, match="valid: smollm2, bytes"):
        tokenize(["hi"], "words")


def test_episodes_store_text_as_token_ids(tmp_path):
    (episode,) = household_episodes(1, 5, 0.0, seed=0)
    assert episode["text"].dtype == np.int32 and episode["text"].shape[0] == 6
    EpisodeWriter(tmp_path, "household").add(episode)
    loaded = load_episode(tmp_path / "episode_000000.npz")
    np.testing.assert_array_equal(loaded["text"], episode["text"])
    text = bytes(loaded["text"][0][loaded["text"][0] != PAD].astype(np.uint8)).decode()
    assert text.startswith("Take the ") and text.endswith(".")
    data = EpisodeDataset([loaded], MODALITIES)
    assert data.obs["text"].dtype == torch.int32


# the encoder


def test_text_encoder_encodes_each_distinct_instruction_once():
    encoder = TextEncoder(256, 8, 16, "mish")
    rows = []
    encoder.embedding.register_forward_hook(lambda m, i, o: rows.append(i[0].shape[0]))
    ids = torch.from_numpy(tokenize(["Go to the mug.", "Go to the can."] * 50, "bytes", 16))
    out = encoder(ids)
    assert rows == [2] and out.shape == (100, 16)
    torch.testing.assert_close(out[0], out[2])
    assert not torch.allclose(out[0], out[1])


def test_text_encoder_rejects_ids_outside_its_vocabulary():
    with pytest.raises(ValueError, match="outside the vocabulary of 256"):
        TextEncoder(256, 8, 16, "mish")(torch.tensor([[300, PAD]]))
    with pytest.raises(TypeError, match="integer token ids"):
        TextEncoder(256, 8, 16, "mish")(torch.zeros(1, 2))


def test_unknown_text_tokenizer_in_config_names_the_valid_ones():
    with pytest.raises(ValueError, match="text_tokenizer 'words'; valid: smollm2, bytes"):
        cfg = WorldModelConfig(modalities=MODALITIES, text_tokenizer="words")
        WorldModel(cfg, {"proprio": (4,), "text": (8,)}, 2)


# the model on the household scene


@pytest.fixture(scope="module")
def household() -> tuple[EpisodeDataset, EpisodeDataset]:
    data = EpisodeDataset(household_episodes(12, 20, 1.0, seed=0), MODALITIES)
    return data.split(0.25)


def test_model_runs_with_text_masked(household):
    train_data, heldout = household
    model = train(train_data, MODALITIES, 20)
    obs = {k: v[:8] for k, v in heldout.obs.items()}
    hidden = {"text": torch.zeros(8, dtype=torch.bool)}
    with torch.no_grad():
        masked = model.encode(obs, hidden)
        without = model.encode({"proprio": obs["proprio"]})
        both = model.encode(obs)
        predicted = model.predict({"proprio": obs["proprio"]}, heldout.action[:8][None])
    torch.testing.assert_close(masked, without)
    assert not torch.allclose(both, without)
    assert set(predicted) == {"proprio"} and torch.isfinite(predicted["proprio"]).all()
    trainer = WorldModelTrainer(
        model, TrainerConfig(batch_size=8, modality_dropout=0.5), torch.device("cpu")
    )
    losses = trainer.update(WindowSampler(train_data, 3, seed=0).sample(8))
    assert np.isfinite(float(losses["total"]))


def test_swapping_the_instruction_changes_the_prediction(household):
    train_data, heldout = household
    model = train(train_data, MODALITIES, 60)
    proprio = heldout.obs["proprio"][:1]
    action = torch.zeros(1, model.action_dim)
    action[0, 0] = 1.0  # drive along x, the arm and gripper still
    rewards = []
    for _, description, _, _ in GRASPABLES[:3]:
        ids = torch.from_numpy(tokenize([f"Go to {description}."], "bytes"))
        with torch.no_grad():
            rewards.append(
                float(model.reward(model.encode({"proprio": proprio, "text": ids}), action))
            )
    assert len(set(rewards)) == 3, rewards


@pytest.mark.slow
@pytest.mark.xfail(
    strict=True,
    reason="since the household became pick-and-place its reward in the first 40 steps is near 0 "
    "and the expert follows floor paths, so neither model separates the instructions "
    "(held-out MAE 7.3e-5 with text, 6.4e-5 without; direction 20% both); the setup needs "
    "rework for the new task",
)
def test_text_steers_goal_directed_motion_and_predicts_better():
    """Trained briefly on scripted-expert episodes with action noise of std 2 (clipped to the
    box: with less, the robot's velocity in proprio already gives the goal's direction away,
    and a model without text does as well), the model with text beats the one without on
    held-out episodes: a lower reward error, and its best predicted drive direction points at
    the instructed object more often (the model without text points the same way whatever the
    instruction)."""
    data = EpisodeDataset(household_episodes(60, 40, 2.0, seed=0), MODALITIES)
    train_data, heldout = data.split(0.25)
    with_text = train(train_data, MODALITIES, 1200)
    without = train(train_data, ["proprio"], 1200)
    errors = {"text": reward_error(with_text, heldout), "none": reward_error(without, heldout)}
    hits = {
        "text": goal_direction_accuracy(with_text, heldout),
        "none": goal_direction_accuracy(without, heldout),
    }
    print(f"held-out reward MAE {errors}; goal-direction accuracy {hits}")
    assert errors["text"] < errors["none"], errors
    assert hits["text"] > hits["none"], hits


@pytest.mark.slow
def test_smollm2_token_ids_reach_the_model():
    """The default tokenizer, the embedded SmolLM2's (offline; converted from its GGUF file
    and cached on first use), through the episode format into a model's encoder."""
    ids = observation_array(["Go to the blue mug on the kitchen table."] * 3)
    assert ids.dtype == np.int32 and (text_lengths(ids) > 0).all()
    assert (ids[ids != PAD] < 49152).all()
    cfg = WorldModelConfig(modalities=["text"], latent_dim=16, hidden_dim=16, encoder_dim=16)
    model = WorldModel(cfg, {"text": ids.shape[1:]}, 2)
    assert model.encode({"text": torch.from_numpy(ids)}).shape == (3, 16)
