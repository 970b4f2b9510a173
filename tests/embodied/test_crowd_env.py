"""The crowd scene: Gymnasium's checker, and avatars moving as the population model says."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from gymnasium.utils.env_checker import check_env

import embodied
from embodied.envs.crowd import CrowdEnv
from worldmodels.meanfield.games import MeetingGame
from worldmodels.meanfield.population import PopulationSDE, save_population_model


def test_crowd_env_passes_gymnasium_checker():
    env = embodied.make("crowd", num_avatars=3, max_episode_steps=20)
    check_env(env.unwrapped, skip_render_check=True)
    env.close()


def test_avatars_follow_a_loaded_population_model(tmp_path):
    model = PopulationSDE(MeetingGame(noise=1e-8), center=12.0, spread=1.0, hidden=8, dt=0.05)
    torch.nn.init.zeros_(model.drift_net.net[-1].weight)
    with torch.no_grad():
        model.drift_net.net[-1].bias.fill_(3.0)  # a strong learned drift to later times
    path = tmp_path / "population.pt"
    save_population_model(model, path)
    env = CrowdEnv(num_avatars=5, population_model=str(path), position_scale=0.5)
    obs, _ = env.reset(seed=0)
    before = obs["crowd"].reshape(5, 2)
    for _ in range(3):
        obs, *_ = env.step(np.zeros(3, dtype=np.float32))
    after = obs["crowd"].reshape(5, 2)
    np.testing.assert_allclose(after[:, 1], before[:, 1])  # lanes stay
    # game drift in [-1, 2] plus the learned +3: every avatar moves to larger x
    shift = after[:, 0] - before[:, 0]
    assert np.all(shift > 0.5 * 0.3 * 1.0) and np.all(shift < 0.5 * 0.3 * 5.0 + 1e-6)
    for i, (x, y) in enumerate(after):
        np.testing.assert_allclose(env.sim.body_position(f"person{i}")[:2], [x, y], atol=1e-6)
    env.close()


def test_crowd_env_rejects_bad_options():
    with pytest.raises(ValueError, match="num_avatars"):
        CrowdEnv(num_avatars=0)
