"""Requests, completions and errors shared by every language-model backend."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

Message = dict[str, str]  # {"role": "system" | "user" | "assistant", "content": "..."}


@dataclass(frozen=True)
class ChatRequest:
    """One chat completion: ``temperature`` 0 is greedy; ``seed`` makes sampling repeatable."""

    messages: tuple[Message, ...]
    temperature: float = 0.0
    max_tokens: int = 256
    stop: tuple[str, ...] = ()
    seed: int | None = None
    json_schema: dict[str, Any] | None = None  # ask for JSON that validates (guided if supported)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def deterministic(self) -> bool:
        """Whether a rerun must give the same text (greedy, or sampling with a fixed seed)."""
        return self.temperature == 0.0 or self.seed is not None


@dataclass(frozen=True)
class Usage:
    """Tokens and cost of one call."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0


@dataclass(frozen=True)
class Completion:
    """The text of a chat completion and what it cost; ``cached`` when replayed from the cache."""

    text: str
    model: str
    finish_reason: str
    usage: Usage = field(default_factory=Usage)
    cached: bool = False


class LanguageModelError(RuntimeError):
    """A language-model call failed; the message says why and what to check."""


class EndpointUnreachableError(LanguageModelError):
    """No server answered at the configured base URL."""


class AuthenticationFailedError(LanguageModelError):
    """The server refused the API key."""


class ModelNotFoundError(LanguageModelError):
    """The server does not serve the requested model."""


class RequestTimeoutError(LanguageModelError):
    """The server did not answer within the timeout, retries included."""


class StructuredOutputError(LanguageModelError):
    """The model never produced JSON that validates against the schema."""
