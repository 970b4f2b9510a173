"""Every language-model call of a research run, shown and kept: a progress line per call and
one JSON line per call in the run folder's ``llm_calls.jsonl`` (what was asked and answered).

:class:`LoggedModel` wraps the run's model; an operator names itself with :func:`labelled` (per
thread, so parallel workers label their own calls). Lines are appended and fsynced one
whole line at a time by :class:`research_agent.journal.Journal`, so a killed run leaves only
complete lines.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path

from research_agent.journal import Journal
from worldmodels.language.accounting import RunUsage
from worldmodels.language.base import LanguageModel
from worldmodels.language.types import ChatRequest, Completion

CALLS_FILE = "llm_calls.jsonl"
log = logging.getLogger(__name__)


class LoggedModel(LanguageModel):
    """``inner`` with each call logged (``path`` None: progress lines only, no file)."""

    def __init__(self, inner: LanguageModel, path: Path | None = None) -> None:
        super().__init__(inner.model_name, inner.pricing)
        self.inner = inner
        self.calls = Journal(path) if path is not None else None
        self._label = threading.local()

    @contextmanager
    def as_operator(self, operator: str) -> Iterator[None]:
        """Label the calls this thread makes inside the block with ``operator``."""
        previous = getattr(self._label, "operator", None)
        self._label.operator = operator
        try:
            yield
        finally:
            self._label.operator = previous

    def _complete(self, request: ChatRequest) -> Completion:
        return self.inner.complete(request)

    def complete(self, request: ChatRequest) -> Completion:
        operator = getattr(self._label, "operator", None) or "call"
        started = time.perf_counter()
        try:
            completion = self.inner.complete(request)
        except Exception as exc:
            self._keep(operator, request, time.perf_counter() - started, error=repr(exc))
            raise
        seconds = time.perf_counter() - started
        usage = completion.usage
        log.info(
            "llm %s: %d prompt + %d completion tokens, %.1f s%s",
            operator,
            usage.prompt_tokens,
            usage.completion_tokens,
            seconds,
            " (cached)" if completion.cached else "",
        )
        self._keep(operator, request, seconds, completion=completion)
        return completion

    def _keep(
        self,
        operator: str,
        request: ChatRequest,
        seconds: float,
        completion: Completion | None = None,
        error: str | None = None,
    ) -> None:
        if self.calls is None:
            return
        record = {
            "time": time.time(),
            "operator": operator,
            "model": self.model_name,
            "messages": list(request.messages),
            "guided_json": request.json_schema is not None,
            "temperature": request.temperature,
            "max_tokens": request.max_tokens,
            "seed": request.seed,
            "seconds": round(seconds, 3),
        }
        if completion is not None:
            record.update(
                response=completion.text,
                finish_reason=completion.finish_reason,
                prompt_tokens=completion.usage.prompt_tokens,
                completion_tokens=completion.usage.completion_tokens,
                cached=completion.cached,
            )
        else:
            record["error"] = error
        self.calls.append(record)

    @property
    def usage(self) -> RunUsage:
        return self.inner.usage

    def close(self) -> None:
        self.inner.close()


def labelled(model: LanguageModel, operator: str) -> AbstractContextManager[None]:
    """Label ``model``'s calls in the block with ``operator`` (a no-op unless it logs calls)."""
    return model.as_operator(operator) if isinstance(model, LoggedModel) else nullcontext()
