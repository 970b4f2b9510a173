"""Structured-config schemas of the ``llm`` hydra group, registered in hydra's ConfigStore.

Each option (configs/llm/*.yaml) names its schema in its defaults list; ``build_language_model``
instantiates the ``_target_``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hydra.core.config_store import ConfigStore
from hydra.utils import instantiate
from omegaconf import DictConfig

from worldmodels.language.base import LanguageModel


@dataclass
class PricingConfig:
    _target_: str = "worldmodels.language.accounting.Pricing"
    prompt_per_mtok: float = 0.0
    completion_per_mtok: float = 0.0


@dataclass
class EmbeddedLLMConfig:
    """SmolLM2-135M-Instruct in this process (offline); ``gguf_path`` null = the packaged file."""

    _target_: str = "worldmodels.language.embedded.EmbeddedModel"
    model_name: str = "smollm2-135m-instruct"
    gguf_path: str | None = None
    device: str = "auto"
    dtype: str = "float32"
    cache_path: str | None = None


@dataclass
class OpenAILLMConfig:
    """An OpenAI-compatible endpoint; ``base_url`` null = $OPENAI_BASE_URL, else OpenAI's API.

    Keep keys out of configs (they are saved with the run): leave ``api_key`` null and set the
    variable named by ``api_key_env``.
    """

    _target_: str = "worldmodels.language.openai_backend.OpenAIModel"
    model_name: str = "gpt-4o-mini"
    base_url: str | None = None
    api_key: str | None = None
    api_key_env: str = "OPENAI_API_KEY"
    timeout_s: float = 60.0
    max_retries: int = 3
    max_concurrency: int = 8
    guided_json: bool = True
    pricing: PricingConfig = field(default_factory=PricingConfig)
    cache_path: str | None = None


def build_language_model(cfg: DictConfig) -> LanguageModel:
    """The language model an ``llm`` config describes."""
    model = instantiate(cfg)
    if not isinstance(model, LanguageModel):
        raise TypeError(f"llm._target_={cfg._target_} built a {type(model).__name__}")
    return model


def register_configs() -> None:
    """Store the schemas under the names the ``llm`` options' defaults lists use."""
    cs = ConfigStore.instance()
    cs.store(group="llm", name="embedded_schema", node=EmbeddedLLMConfig)
    cs.store(group="llm", name="openai_schema", node=OpenAILLMConfig)


register_configs()
