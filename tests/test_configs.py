"""Every entry point's config composes, and bad overrides fail with errors that name them."""

import pytest
from hydra.errors import ConfigCompositionException
from omegaconf import OmegaConf

import embodied.config  # noqa: F401  (registers schemas)
import research_agent.config  # noqa: F401
import worldmodels.config  # noqa: F401
from tests.hydra_compose import compose_config

ENTRY_CONFIGS = ["episode", "train_worldmodel", "research", "leaderboard", "deploy"]


def _error_text(exc: BaseException) -> str:
    parts = []
    while exc is not None:
        parts.append(str(exc))
        exc = exc.__cause__
    return "\n".join(parts)


@pytest.mark.parametrize("name", ENTRY_CONFIGS)
def test_entry_config_composes_with_run_section(name):
    cfg = compose_config(name, ["run.seed=3"])
    assert cfg.run.seed == 3 and cfg.run.device == "auto"
    assert cfg.hydra.job.name == name
    assert cfg.hydra.run.dir.startswith(f"outputs/{name}/")


@pytest.mark.parametrize("name", ENTRY_CONFIGS)
def test_unknown_top_level_key_is_named(name):
    with pytest.raises(ConfigCompositionException) as info:
        compose_config(name, ["run.sede=1"])
    assert "sede" in _error_text(info.value)


@pytest.mark.parametrize(
    "override, key",
    [
        ("episodes=many", "episodes"),
        ("agent.planner.horizon=3.5", "horizon"),
        ("agent.horizn=5", "horizn"),
        ("env.width=wide", "width"),
        ("record=perhaps", "record"),
    ],
)
def test_episode_bad_override_is_named(override, key):
    with pytest.raises(ConfigCompositionException) as info:
        compose_config("episode", [override])
    assert key in _error_text(info.value)


def test_unknown_group_option_lists_the_valid_ones():
    with pytest.raises(ConfigCompositionException) as info:
        compose_config("episode", ["agent=nope"])
    text = _error_text(info.value)
    assert "mpc_sim" in text and "random" in text


@pytest.mark.parametrize("option", ["greedy", "mcts", "evolutionary"])
def test_research_search_group_uses_the_planning_configs(option):
    cfg = compose_config("research", [f"search={option}", "search.seed=5"])
    assert cfg.search.seed == 5
    with pytest.raises(ConfigCompositionException) as info:
        compose_config("research", [f"search={option}", "search.not_a_field=1"])
    assert "not_a_field" in _error_text(info.value)


def test_agent_seed_follows_run_seed():
    cfg = compose_config("episode", ["run.seed=11"])
    assert OmegaConf.to_container(cfg.agent, resolve=True)["seed"] == 11


def test_env_group_means_the_same_in_episodes_and_world_model_training():
    episode = compose_config("episode", ["env=reach_pybullet"])
    train = compose_config("train_worldmodel", ["env=cartpole_swingup"])
    assert episode.env.id == "reach-pybullet"
    assert train.env.id == "cartpole-swingup" and train.data.env == "cartpole-swingup"
