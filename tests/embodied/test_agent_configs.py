"""Agents take their config dataclass; hydra's schema is that dataclass plus ``_target_``."""

import dataclasses

import pytest
from hydra.utils import instantiate

import embodied
from embodied.agents.simulator_mpc import SimulatorMPCAgent, SimulatorMPCConfig
from embodied.config import SimulatorMPCAgentSchema
from planning import CEM, MPPI, MPPIConfig
from tests.hydra_compose import compose_config


@pytest.fixture
def env():
    env = embodied.make("cartpole-balance")
    yield env
    env.close()


def test_agent_takes_its_config_and_the_planner_settings_nest_in_it(env):
    planner = MPPIConfig(horizon=7, num_samples=16, num_elites=2, num_policy_samples=0)
    cfg = SimulatorMPCConfig(planner=planner, seed=3)
    agent = SimulatorMPCAgent(env, cfg)
    assert isinstance(agent.planner, MPPI) and agent.planner.config.horizon == 7
    assert agent.planner.config.seed == 3  # the agent's seed seeds its planner
    agent.close()


def test_a_partial_planner_mapping_keeps_the_agents_other_planner_defaults(env):
    agent = SimulatorMPCAgent(env, planner={"horizon": 7}, planner_kind="cem")
    default = SimulatorMPCConfig().planner
    assert isinstance(agent.planner, CEM)
    assert agent.planner.config.horizon == 7
    assert agent.planner.config.num_samples == default.num_samples
    assert agent.planner.config.max_std == default.max_std
    agent.close()


@pytest.mark.parametrize(
    "options, named",
    [({"horizon": 7}, "agent has no option(s) horizon"),
     ({"planner": {"horizn": 7}}, "agent.planner has no option(s) horizn")],
)  # fmt: skip
def test_an_unknown_option_is_named_with_the_valid_ones(env, options, named):
    with pytest.raises(TypeError, match="valid: ") as info:
        SimulatorMPCAgent(env, **options)
    assert named in str(info.value)


def test_an_unknown_planner_kind_is_named(env):
    with pytest.raises(ValueError, match=r"agent.planner_kind='mpc'; valid: mppi, cem"):
        SimulatorMPCAgent(env, planner_kind="mpc")


def test_the_hydra_schema_is_the_config_dataclass_with_the_same_defaults():
    schema_fields = {f.name for f in dataclasses.fields(SimulatorMPCAgentSchema)}
    assert schema_fields == {f.name for f in dataclasses.fields(SimulatorMPCConfig)} | {"_target_"}
    cfg = compose_config("episode", ["agent=mpc_sim", "run.seed=5", "agent.planner.horizon=9"])
    agent = instantiate(cfg.agent, env=embodied.make("cartpole-balance"))
    expected = dataclasses.replace(SimulatorMPCConfig().planner, horizon=9, seed=5)
    assert agent.planner.config == expected
    agent.close()
