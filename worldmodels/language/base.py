"""The ``LanguageModel`` interface every backend implements."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from worldmodels.language.accounting import Pricing, RunUsage, UsageMeter
from worldmodels.language.cache import ResponseCache
from worldmodels.language.structured import complete_json
from worldmodels.language.types import ChatRequest, Completion, Message


class LanguageModel(ABC):
    """Chat completion, structured output, usage accounting and an optional response cache.

    Backends implement :meth:`_complete`; the cache replays deterministic requests only (greedy,
    or sampled with a seed), so unseeded sampling still varies between calls.
    """

    def __init__(
        self,
        model_name: str,
        pricing: Pricing | None = None,
        cache_path: str | Path | None = None,
    ) -> None:
        self.model_name = model_name
        self.pricing = pricing or Pricing()
        self.cache = ResponseCache(cache_path) if cache_path else None
        self._meter = UsageMeter()

    @abstractmethod
    def _complete(self, request: ChatRequest) -> Completion:
        """Run ``request`` on the backend (no cache, no accounting)."""

    def complete(self, request: ChatRequest) -> Completion:
        """Answer ``request`` from the cache when it holds it, else from the backend."""
        cacheable = self.cache is not None and request.deterministic
        completion = self.cache.get(self.model_name, request) if cacheable else None
        if completion is None:
            completion = self._complete(request)
            if cacheable:
                self.cache.put(self.model_name, request, completion)
        self.record_usage(completion)
        return completion

    def record_usage(self, completion: Completion) -> None:
        """Count ``completion`` in :attr:`usage` (for generation outside :meth:`complete`)."""
        self._meter.record(completion.usage, completion.cached)

    def chat(
        self,
        messages: Sequence[Message],
        *,
        temperature: float = 0.0,
        max_tokens: int = 256,
        stop: Sequence[str] = (),
        seed: int | None = None,
        json_schema: dict[str, Any] | None = None,
    ) -> Completion:
        """Complete the conversation ``messages`` (dicts with "role" and "content")."""
        request = ChatRequest(
            messages=tuple(dict(m) for m in messages),
            temperature=float(temperature),
            max_tokens=int(max_tokens),
            stop=tuple(stop),
            seed=seed,
            json_schema=json_schema,
        )
        return self.complete(request)

    def structured(
        self,
        messages: Sequence[Message],
        schema: dict[str, Any],
        *,
        retries: int = 2,
        **chat_kwargs: Any,
    ) -> Any:
        """A JSON value that validates against ``schema``; see :func:`complete_json`."""
        return complete_json(self, messages, schema, retries=retries, **chat_kwargs)

    @property
    def usage(self) -> RunUsage:
        """Calls, tokens and cost so far in this run."""
        return self._meter.total

    def close(self) -> None:
        if self.cache is not None:
            self.cache.close()
