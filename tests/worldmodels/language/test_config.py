"""The ``llm`` hydra group: options compose against their schemas and build models."""

from __future__ import annotations

import pytest
from hydra import compose, initialize_config_dir
from hydra.errors import ConfigCompositionException
from omegaconf import DictConfig

from runkit import CONFIG_DIR
from worldmodels.language import Pricing, build_language_model
from worldmodels.language.openai_backend import OpenAIModel
from worldmodels.language.serve import ChatServer

from .helpers import FRANCE


def compose_llm(overrides: list[str]) -> DictConfig:
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        return compose(overrides=overrides).llm


def test_options_compose() -> None:
    assert compose_llm(["+llm=embedded"]).device == "auto"
    assert compose_llm(["+llm=openai"]).api_key_env == "OPENAI_API_KEY"
    local = compose_llm(["+llm=local_server"])
    assert local.base_url == "http://127.0.0.1:8000/v1"
    assert local.model_name == "smollm2-135m-instruct"


def test_unknown_key_is_rejected() -> None:
    with pytest.raises(ConfigCompositionException, match="temprature"):
        compose_llm(["+llm=openai", "llm.temprature=0.5"])


def test_build_local_server_model(server: ChatServer) -> None:
    cfg = compose_llm(
        ["+llm=local_server", f"llm.base_url={server.base_url}", "llm.pricing.prompt_per_mtok=3"]
    )
    model = build_language_model(cfg)
    assert isinstance(model, OpenAIModel)
    assert model.pricing == Pricing(prompt_per_mtok=3.0)
    assert "Paris" in model.chat(FRANCE, max_tokens=16).text
