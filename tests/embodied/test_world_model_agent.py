"""agent=wm_mpc: plans in a learned world model, learns online, saves and reloads its model."""

import numpy as np
import pytest
import torch
from hydra.errors import InstantiationException
from hydra.utils import instantiate

from embodied.agents.random_agent import RandomAgent
from embodied.episode import build_env
from embodied.runner import run_episode
from tests.embodied.helpers import SMALL
from tests.hydra_compose import compose_config

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_learns_online_then_plans_from_its_saved_checkpoint(tmp_path):
    cfg = compose_config(
        "episode", ["agent=wm_mpc", *SMALL, "agent.seed_steps=20", f"agent.save_to={tmp_path}"]
    )
    env = build_env(cfg.env, render=False)
    agent = instantiate(cfg.agent, env=env)
    before = {k: v.clone() for k, v in agent.model.state_dict().items()}
    for seed in range(2):
        result = run_episode(env, agent, seed=seed)
        assert result.length == 25
    assert agent.updates == 20 + 30  # seed pre-training, then one update per step
    changed = [k for k, v in agent.model.state_dict().items() if not torch.equal(v, before[k])]
    assert changed, "online updates must change the model"
    agent.close()
    saved = sorted(tmp_path.glob("step_*"))
    assert [p.name for p in saved] == ["step_00000050"]

    cfg = compose_config(
        "episode", ["agent=wm_mpc", *SMALL, "agent.learn=false", f"agent.checkpoint={saved[0]}"]
    )
    planner = instantiate(cfg.agent, env=env)
    for key, value in planner.model.state_dict().items():
        assert torch.equal(value, agent.model.state_dict()[key]), key
    observation, _ = env.reset(seed=0)
    planner.reset()
    action = planner.act(observation)
    assert action.shape == (1,) and np.all(np.abs(action) <= 1.0)


def test_learning_online_beats_random_on_the_fastest_scene():
    """400 env steps (150 of them random seed steps) on the inverted pendulum, about 15 s on
    one CPU thread: the learned planner holds the pole several times longer than random."""
    cfg = compose_config(
        "episode",
        [
            "env=inverted_pendulum",
            "agent=wm_mpc",
            "agent.worldmodel.latent_dim=32",
            "agent.worldmodel.encoder_dim=32",
            "agent.trainer.batch_size=64",
            "agent.planner.num_samples=64",
            "agent.planner.num_elites=8",
            "agent.planner.num_policy_samples=8",
            "agent.planner.iterations=3",
            "agent.seed_steps=150",
            "agent.save_to=null",
        ],
    )
    env = build_env(cfg.env, render=False)
    held_out = range(1000, 1003)
    random_returns = [run_episode(env, RandomAgent(env), seed=s).episode_return for s in held_out]
    agent = instantiate(cfg.agent, env=env)
    seed = 0
    while agent.total_steps < 400:
        run_episode(env, agent, seed=seed)
        seed += 1
    agent.learn = False  # evaluate greedily: no exploration noise, no updates
    learned = [run_episode(env, agent, seed=s).episode_return for s in held_out]
    assert np.mean(learned) > 3 * np.mean(random_returns), (learned, random_returns)


def test_the_same_seed_gives_the_same_run():
    cfg = compose_config("episode", ["agent=wm_mpc", *SMALL, "agent.seed_steps=10"])
    env = build_env(cfg.env, render=False)
    runs = []
    for _ in range(2):
        agent = instantiate(cfg.agent, env=env)
        returns = [run_episode(env, agent, seed=s).episode_return for s in range(2)]
        runs.append((returns, agent.model.state_dict()))
    (returns_a, weights_a), (returns_b, weights_b) = runs
    assert returns_a == returns_b
    for key, value in weights_a.items():
        assert torch.equal(value, weights_b[key]), key


def test_bad_agent_settings_name_the_problem():
    cfg = compose_config("episode", ["agent=wm_mpc", *SMALL, "agent.learn=false"])
    env = build_env(cfg.env, render=False)
    with pytest.raises(InstantiationException, match="checkpoint"):
        instantiate(cfg.agent, env=env)
    cfg = compose_config("episode", ["agent=wm_mpc", *SMALL, "agent.worldmodel.modalities=[rgb]"])
    with pytest.raises(InstantiationException, match="proprio"):
        instantiate(cfg.agent, env=env)
    cfg = compose_config("episode", ["agent=wm_mpc", *SMALL, "agent.cpu_threads=0"])
    with pytest.raises(InstantiationException, match=r"agent\.cpu_threads must be >= 1"):
        instantiate(cfg.agent, env=env)


def test_runs_on_the_cpu_threads_it_is_given():
    """Two torch threads on a shared 2-core CPU wait on each other (several times slower for
    this small model), so the agent sets the count, one by default."""
    env = build_env(compose_config("episode", ["agent=wm_mpc", *SMALL]).env, render=False)
    for threads, expected in (("2", 2), ("null", 2), ("1", 1)):
        cfg = compose_config("episode", ["agent=wm_mpc", *SMALL, f"agent.cpu_threads={threads}"])
        instantiate(cfg.agent, env=env)
        assert torch.get_num_threads() == expected, threads


def test_plans_and_learns_in_units_of_the_action_box():
    from embodied import make
    from embodied.agents.world_model_mpc import WorldModelMPCAgent, WorldModelMPCConfig
    from planning import MPPIConfig
    from worldmodels.config import TrainerConfig, WorldModelConfig

    env = make("inverted-pendulum")  # actions in [-3, 3]
    cfg = WorldModelMPCConfig(
        worldmodel=WorldModelConfig(latent_dim=16, hidden_dim=16, encoder_dim=16, decoder=False),
        trainer=TrainerConfig(batch_size=8),
        planner=MPPIConfig(num_samples=32, num_elites=4, iterations=2, num_policy_samples=4),
        seed_steps=10,
        device="cpu",
    )
    agent = WorldModelMPCAgent(env, cfg)
    assert agent.planner.action_low.tolist() == [-1.0] == (-agent.planner.action_high).tolist()
    seed = 0
    while agent.total_steps < 20:
        run_episode(env, agent, seed=seed)
        seed += 1
    assert agent.updates > 10
    assert agent.replay.sample(64).action.abs().max() <= 1.0  # stored in the model's units
    action = agent.act(env.reset(seed=0)[0])
    assert env.action_space.contains(action)


@pytest.mark.slow
def test_compiled_scoring_matches_the_eager_model():
    cfg = compose_config(
        "episode", ["agent=wm_mpc", *SMALL, "agent.compile=true", "agent.trainer.compile=false"]
    )
    env = build_env(cfg.env, render=False)
    agent = instantiate(cfg.agent, env=env)
    assert not agent.trainer.compiled  # trainer.compile=false overrides the agent's flag
    agent.model.eval()
    with torch.no_grad():
        observation, _ = env.reset(seed=0)
        z = agent.model.encode(agent._tensors(observation))
        actions = torch.rand(1, 32, 3, 1) * 2 - 1
        pair = torch.tensor([0, 3])
        compiled = agent._score(z, actions, 0.99, pair)
        torch.testing.assert_close(compiled, agent.model.score(z, actions, 0.99, pair))
