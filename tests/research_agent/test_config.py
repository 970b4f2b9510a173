from __future__ import annotations

import pytest
from hydra.errors import ConfigCompositionException
from omegaconf import OmegaConf

import research_agent.config  # noqa: F401  (registers the schemas)
from research_agent.operators import make_operators
from research_agent.search import make_policy
from tests.hydra_compose import compose_config


@pytest.mark.parametrize("policy", ["greedy", "mcts", "evolutionary"])
def test_research_config_builds_its_policy_and_operators(policy):
    cfg = compose_config(
        "research", [f"search={policy}", "operators.edits=2", "workers=3", "budget.time=60"]
    )
    settings = OmegaConf.to_container(cfg.search, resolve=True)
    assert settings["name"] == policy
    assert make_policy(policy, settings, cfg.workers).config.parallel == 3
    operators = make_operators(**OmegaConf.to_container(cfg.operators))
    assert operators.edits == 2 and cfg.budget.time == 60


def test_a_policy_refuses_the_settings_of_another():
    settings = OmegaConf.to_container(compose_config("research", ["search=mcts"]).search)
    with pytest.raises(ValueError, match="search settings of 'mcts' given for policy 'greedy'"):
        make_policy("greedy", settings)


def test_operator_options_are_checked():
    with pytest.raises(ConfigCompositionException):
        compose_config("research", ["operators.temperature=1"])
