"""agent=wm_mpc with overlap_update: each env step's update runs in a background thread while the
planner plans the next action with the weights from before it."""

import numpy as np
import pytest
import torch

from embodied import make
from embodied.agents.world_model_mpc import WorldModelMPCAgent
from tests.embodied.helpers import tiny_wm_agent

pytestmark = pytest.mark.usefixtures("one_torch_thread")
SEED_STEPS = 8


def tiny_agent(env, **options) -> WorldModelMPCAgent:
    return tiny_wm_agent(env, SEED_STEPS, **options)


def weights(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.clone() for k, v in model.state_dict().items()}


def same(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> bool:
    return all(torch.equal(a[k], b[k]) for k in a)


def test_overlapped_it_plans_one_update_behind_and_keeps_the_update_ratio():
    env = make("inverted-pendulum")
    agent = tiny_agent(env, overlap_update=True)
    assert agent.planning_model is not agent._model  # the planner's own copy
    obs, _ = env.reset(seed=0)
    agent.reset()
    steps = SEED_STEPS + 6
    for t in range(steps):
        action = agent.act(obs)
        obs, reward, terminated, _, _ = env.step(action)
        agent.observe(obs, action, float(reward), terminated)
        if t + 1 > SEED_STEPS:  # an update runs; the planner keeps the weights before it
            assert agent._in_flight is not None
            planned_with = weights(agent.planning_model)
            agent.wait_for_update()
            learned = weights(agent._model)
            assert not same(planned_with, learned), "the update must change the model"
            assert same(weights(agent.planning_model), learned), "then the planner gets them"
    assert agent.updates == SEED_STEPS + (steps - SEED_STEPS)  # one update per env step
    serial = tiny_agent(env)  # in turn by default
    assert serial.planning_model is serial._model and serial._learner is None


def test_learning_in_the_background_learns_the_same_weights_as_in_turn():
    """Fed the same transitions, the overlapped agent's model ends bitwise equal to the serial
    one's: the same batches, the same updates, only run in another thread."""
    env = make("inverted-pendulum")
    agents = [tiny_agent(env, overlap_update=flag) for flag in (False, True)]
    rng = np.random.default_rng(0)
    obs, _ = env.reset(seed=0)
    for agent in agents:
        agent.reset()
    for _ in range(SEED_STEPS + 5):
        for agent in agents:
            agent.act(obs)  # plans (and records the episode start); its action is not used
        action = rng.uniform(-3, 3, size=1).astype(np.float32)
        obs, reward, terminated, _, _ = env.step(action)
        for agent in agents:
            agent.observe(obs, action, float(reward), terminated)
    serial, overlapped = agents
    assert serial.updates == overlapped.updates == SEED_STEPS + 5
    assert same(weights(serial.model), weights(overlapped.model))


def test_an_error_in_the_background_update_is_raised_at_the_next_step():
    env = make("inverted-pendulum")
    agent = tiny_agent(env, overlap_update=True)
    obs, _ = env.reset(seed=0)
    agent.reset()
    for _ in range(SEED_STEPS):  # random steps, then the seed pre-training (in turn)
        action = agent.act(obs)
        obs, reward, terminated, _, _ = env.step(action)
        agent.observe(obs, action, float(reward), terminated)

    def broken(batch):
        raise RuntimeError("the update failed")

    agent.trainer.update = broken
    action = agent.act(obs)
    agent.observe(obs, action, 0.0, False)  # starts the failing update in the background
    with pytest.raises(RuntimeError, match="the update failed"):
        agent.observe(obs, action, 0.0, False)
