"""The cart-pole hybrid model: physics, residual learning from simulator episodes, and MPC."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from worldmodels.data import EpisodeDataset, WindowSampler
from worldmodels.ode.mechanics import (
    CartPoleDynamics,
    ControlledODE,
    fit_controlled,
    residual_network,
)
from worldmodels.ode.planning_model import ODEPlanningModel

WRONG = dict(cart_mass=0.6, pole_mass=0.15, cart_friction=1.0, pole_friction=0.02)
HORIZON = 10


@pytest.fixture(scope="module")
def swingup() -> tuple[EpisodeDataset, EpisodeDataset, float]:
    import embodied
    from embodied.data import SimulatorCollection

    env = embodied.make("cartpole-swingup")
    dt = env.unwrapped.control_dt
    env.close()
    source = SimulatorCollection("cartpole-swingup", num_episodes=24, steps=100)
    data = EpisodeDataset(source.episodes(seed=0), ["proprio"])
    train, held = data.split(0.25)
    return train, held, dt


def _error(model: ControlledODE, data: EpisodeDataset) -> float:
    """Median over windows of the scaled squared 10-step error (robust to the few windows
    where the cart hits the end of its rail, a contact neither model knows)."""
    batch = WindowSampler(data, HORIZON, seed=5).sample(256)
    scale = data.obs["proprio"].std(0).clamp_min(1e-3)
    obs = batch.obs["proprio"]
    with torch.no_grad():
        states = model.rollout(CartPoleDynamics.state_from_obs(obs[0]), batch.action)
        error = (((CartPoleDynamics.obs_from_state(states) - obs[1:]) / scale) ** 2).mean((0, 2))
    return float(error.median())


def test_state_and_observation_round_trip():
    state = torch.tensor([[0.3, 2.9, -0.1, 4.0], [-1.0, -0.2, 0.5, -3.0]])
    back = CartPoleDynamics.state_from_obs(CartPoleDynamics.obs_from_state(state))
    torch.testing.assert_close(back, state)
    with pytest.raises(ValueError, match="unknown cart-pole parameter"):
        CartPoleDynamics(cart_mas=1.0)


def test_hybrid_learns_the_residual_of_a_wrong_rigid_body_model(swingup):
    train, held, dt = swingup
    right = ControlledODE(CartPoleDynamics(learn=False), None, dt)
    wrong = ControlledODE(CartPoleDynamics(learn=False, **WRONG), None, dt)
    assert _error(right, held) < 0.2 * _error(wrong, held)  # the textbook model fits MuJoCo
    torch.manual_seed(0)
    hybrid = ControlledODE(CartPoleDynamics(learn=True, **WRONG), residual_network(train), dt)
    fit_controlled(hybrid, train, steps=100, horizon=HORIZON, batch_size=64)
    assert _error(hybrid, held) < 0.25 * _error(wrong, held)


def test_mpc_balances_the_cartpole_with_the_ode_world_model():
    import embodied
    from embodied.agents.planners import build_planner
    from planning import MPPIConfig

    env = embodied.make("cartpole-balance", max_episode_steps=100)
    sim = env.unwrapped
    model = ControlledODE(CartPoleDynamics(learn=False, **WRONG), None, sim.control_dt)

    def reward_fn(states, actions):
        qpos, qvel = states[..., :2].double().numpy(), states[..., 2:].double().numpy()
        reward, terminated = sim.outcome_from_physics(qpos, qvel, actions.double().numpy())
        return torch.as_tensor(reward).float(), torch.as_tensor(terminated)

    world_model = ODEPlanningModel(model, reward_fn)
    settings = MPPIConfig(horizon=20, num_samples=128, num_elites=16, iterations=3,
                          num_policy_samples=0)  # fmt: skip
    planner = build_planner("mppi", settings, env.action_space)

    def run(policy) -> float:
        obs, _ = env.reset(seed=3)
        worst = 1.0
        for _ in range(100):
            obs, _, _, truncated, _ = env.step(policy(obs["proprio"]))
            worst = min(worst, float(obs["proprio"][1]))  # cos θ
            if truncated:
                break
        return worst

    mpc = run(lambda o: planner.plan(world_model.score_fn(o))[0, 0].numpy())
    idle = run(lambda o: np.zeros(1, dtype=np.float32))
    env.close()
    assert mpc > 0.95  # the pole stays up
    assert idle < 0.5  # it falls without control
