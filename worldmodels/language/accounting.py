"""Token and cost accounting: per call (``Usage``) and per run (``UsageMeter``)."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from worldmodels.language.types import Usage


@dataclass(frozen=True)
class Pricing:
    """USD per million prompt and completion tokens (0 for local models)."""

    prompt_per_mtok: float = 0.0
    completion_per_mtok: float = 0.0

    def usage(self, prompt_tokens: int, completion_tokens: int) -> Usage:
        cost = prompt_tokens * self.prompt_per_mtok + completion_tokens * self.completion_per_mtok
        return Usage(prompt_tokens, completion_tokens, cost / 1e6)


@dataclass(frozen=True)
class RunUsage:
    """Totals over a run; replies replayed from the cache cost nothing and are counted apart."""

    calls: int = 0
    cached_calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0


class UsageMeter:
    """Thread-safe running totals of the calls a model answered."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._total = RunUsage()

    def record(self, usage: Usage, cached: bool) -> None:
        spent = Usage() if cached else usage
        with self._lock:
            t = self._total
            self._total = RunUsage(
                calls=t.calls + 1,
                cached_calls=t.cached_calls + cached,
                prompt_tokens=t.prompt_tokens + spent.prompt_tokens,
                completion_tokens=t.completion_tokens + spent.completion_tokens,
                cost_usd=t.cost_usd + spent.cost_usd,
            )

    @property
    def total(self) -> RunUsage:
        with self._lock:
            return self._total
