"""Structured-config schemas of the ``llm`` hydra group, registered in hydra's ConfigStore.

Each option (configs/llm/*.yaml) names its schema in its defaults list; ``build_language_model``
instantiates the ``_target_``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from hydra.core.config_store import ConfigStore
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf

from runkit.device import resolve_device
from worldmodels.language.base import LanguageModel


@dataclass
class PricingConfig:
    _target_: str = "worldmodels.language.accounting.Pricing"
    prompt_per_mtok: float = 0.0
    completion_per_mtok: float = 0.0


@dataclass
class EmbeddedLLMConfig:
    """SmolLM2-135M-Instruct in this process (offline); ``gguf_path`` null = the packaged file.

    ``dtype`` auto: the faster one measured (:func:`fastest_dtype`): bfloat16 on CUDA and on
    CPUs with native bfloat16 arithmetic, float32 on the others. ``quantize`` fast: float16
    layers and an int8 output head on CPU in float32 (:mod:`worldmodels.language.quantize`).
    ``capability`` config: the research operators have it choose solution configs, not write
    programs (see :data:`CAPABILITIES`)."""

    _target_: str = "worldmodels.language.embedded.EmbeddedModel"
    model_name: str = "smollm2-135m-instruct"
    gguf_path: str | None = None
    device: str = "auto"
    dtype: str = "auto"
    quantize: str = "none"
    cache_path: str | None = None
    capability: str = "config"


@dataclass
class OpenAILLMConfig:
    """An OpenAI-compatible endpoint; ``base_url`` null = $OPENAI_BASE_URL, else OpenAI's API.

    Keep keys out of configs (they are saved with the run): leave ``api_key`` null and set the
    variable named by ``api_key_env``. ``capability`` program: the research operators have the
    model write whole programs (set config for a small model; see :data:`CAPABILITIES`).
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
    capability: str = "program"


CAPABILITIES = ("config", "program")
"""What the research operators ask of a model: ``config``, choose a solution's config (JSON
under a schema of the config space); ``program``, write the whole program."""


def capability_of(cfg: DictConfig) -> str:
    """The ``capability`` of an ``llm`` config (program when it names none)."""
    capability = cfg.get("capability", "program")
    if capability not in CAPABILITIES:
        raise ValueError(f"llm.capability={capability!r} is not one of {list(CAPABILITIES)}")
    return str(capability)


BF16_CPU_FLAGS = ("avx512_bf16", "amx_bf16")


def fastest_dtype(device: str = "auto") -> str:
    """The dtype the embedded model generates fastest in on ``device``: bfloat16 on CUDA and on a
    CPU with native bfloat16 instructions (1.5x float32's tokens/s measured on such a Xeon),
    float32 on a CPU without them (where bfloat16 matmuls are emulated: a decode-sized linear
    layer measured 29x slower than in float32 on an AMD EPYC without avx512_bf16)."""
    if resolve_device(device).type == "cuda":
        return "bfloat16"
    try:
        flags = Path("/proc/cpuinfo").read_text().split()
    except OSError:
        return "float32"
    return "bfloat16" if any(flag in flags for flag in BF16_CPU_FLAGS) else "float32"


def build_language_model(cfg: DictConfig) -> LanguageModel:
    """The language model an ``llm`` config describes (``capability`` is for its users;
    ``dtype: auto`` becomes :func:`fastest_dtype`)."""
    cfg = OmegaConf.masked_copy(cfg, [k for k in cfg if k != "capability"])
    if cfg.get("dtype") == "auto":
        cfg.dtype = fastest_dtype(cfg.get("device", "auto"))
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
