"""Any OpenAI-compatible endpoint (vLLM, llama.cpp server, hosted APIs) through ``openai``."""

from __future__ import annotations

import os
import threading
from typing import Any

import openai

from worldmodels.language.accounting import Pricing
from worldmodels.language.base import LanguageModel
from worldmodels.language.types import (
    AuthenticationFailedError,
    ChatRequest,
    Completion,
    EndpointUnreachableError,
    LanguageModelError,
    ModelNotFoundError,
    RequestTimeoutError,
)


class OpenAIModel(LanguageModel):
    """Chat completions over HTTP.

    The ``openai`` client retries connection errors, timeouts, 429 and 5xx ``max_retries`` times
    with exponential backoff (honouring Retry-After); at most ``max_concurrency`` requests of
    this object are in flight at once. ``guided_json`` sends a JSON schema as ``response_format``
    (vLLM, llama.cpp and OpenAI honour it; turn it off for servers that reject it). The key is
    ``api_key``, else the ``api_key_env`` variable.
    """

    def __init__(
        self,
        model_name: str,
        base_url: str | None = None,
        api_key: str | None = None,
        api_key_env: str = "OPENAI_API_KEY",
        timeout_s: float = 60.0,
        max_retries: int = 3,
        max_concurrency: int = 8,
        guided_json: bool = True,
        pricing: Pricing | None = None,
        cache_path: str | None = None,
    ) -> None:
        super().__init__(model_name, pricing, cache_path)
        key = api_key or os.environ.get(api_key_env)
        if not key:
            raise AuthenticationFailedError(f"no API key: set ${api_key_env} or llm.api_key")
        self.base_url = base_url or os.environ.get("OPENAI_BASE_URL") or "https://api.openai.com/v1"
        self.client = openai.OpenAI(
            base_url=self.base_url, api_key=key, timeout=timeout_s, max_retries=max_retries
        )
        self._slots = threading.BoundedSemaphore(max_concurrency)
        self.guided_json = guided_json

    def _request_kwargs(self, request: ChatRequest) -> dict[str, Any]:
        kwargs: dict[str, Any] = {
            "model": self.model_name,
            "messages": list(request.messages),
            "temperature": request.temperature,
            "max_tokens": request.max_tokens,
        }
        if request.stop:
            kwargs["stop"] = list(request.stop)
        if request.seed is not None:
            kwargs["seed"] = request.seed
        if request.json_schema is not None and self.guided_json:
            kwargs["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": "reply", "schema": request.json_schema},
            }
        return kwargs

    def _complete(self, request: ChatRequest) -> Completion:
        with self._slots:
            try:
                response = self.client.chat.completions.create(**self._request_kwargs(request))
            except openai.APIError as exc:
                raise self._explain(exc) from exc
        choice = response.choices[0]
        usage = response.usage
        return Completion(
            text=choice.message.content or "",
            model=response.model or self.model_name,
            finish_reason=choice.finish_reason or "stop",
            usage=self.pricing.usage(
                usage.prompt_tokens if usage else 0, usage.completion_tokens if usage else 0
            ),
        )

    def _explain(self, exc: openai.APIError) -> LanguageModelError:
        """Turn the client's exception into one that says what to check."""
        where = f"{self.base_url} (model {self.model_name!r})"
        if isinstance(exc, openai.APITimeoutError):
            return RequestTimeoutError(f"{where} did not answer in time, retries included")
        if isinstance(exc, openai.APIConnectionError):
            return EndpointUnreachableError(f"no server answers at {where}: is it running?")
        if isinstance(exc, openai.AuthenticationError):
            return AuthenticationFailedError(f"{where} refused the API key: {exc.message}")
        if isinstance(exc, openai.NotFoundError):
            return ModelNotFoundError(
                f"{self.base_url} does not serve {self.model_name!r} "
                f"(it serves: {self._served_models()}); check llm.model_name and llm.base_url"
            )
        return LanguageModelError(f"{where} failed: {exc}")

    def _served_models(self) -> str:
        try:
            return ", ".join(m.id for m in self.client.models.list()) or "none"
        except openai.APIError:
            return "unknown: GET /models failed too"
