"""Language models behind one interface: an embedded offline model and OpenAI-compatible servers.

``build_language_model(cfg)`` builds one from the ``llm`` hydra group (embedded, openai,
local_server); ``python -m worldmodels.language.serve`` serves the embedded model over HTTP.
"""

from worldmodels.language.accounting import Pricing, RunUsage
from worldmodels.language.base import LanguageModel
from worldmodels.language.cache import ResponseCache
from worldmodels.language.config import build_language_model
from worldmodels.language.types import (
    AuthenticationFailedError,
    ChatRequest,
    Completion,
    EndpointUnreachableError,
    LanguageModelError,
    Message,
    ModelNotFoundError,
    RequestTimeoutError,
    StructuredOutputError,
    Usage,
)

__all__ = [
    "AuthenticationFailedError",
    "ChatRequest",
    "Completion",
    "EndpointUnreachableError",
    "LanguageModel",
    "LanguageModelError",
    "Message",
    "ModelNotFoundError",
    "Pricing",
    "RequestTimeoutError",
    "ResponseCache",
    "RunUsage",
    "StructuredOutputError",
    "Usage",
    "build_language_model",
]
