"""Validation of OpenAI chat-completions request bodies, for the local server.

Every field is checked for type and range; a bad one is a :class:`RequestError` (HTTP 400) that
names the field (``param``, as OpenAI's error JSON does) and what is valid.
"""

from __future__ import annotations

from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from worldmodels.language.types import ChatRequest

ROLES = ("system", "developer", "user", "assistant", "tool")
MAX_STOPS = 4  # as OpenAI's API


class RequestError(Exception):
    """A request the server refuses: HTTP status, OpenAI error code, and the field at fault."""

    def __init__(
        self,
        status: HTTPStatus,
        message: str,
        code: str,
        param: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.param = status, code, param
        self.headers = headers or {}

    def payload(self) -> dict[str, Any]:
        """OpenAI's error JSON."""
        kind = "invalid_request_error" if self.status < 500 else "server_error"
        return {
            "error": {"message": str(self), "type": kind, "param": self.param, "code": self.code}
        }


def invalid(param: str, message: str) -> RequestError:
    """A 400 for field ``param``."""
    return RequestError(HTTPStatus.BAD_REQUEST, f"{param}: {message}", "invalid_value", param)


@dataclass(frozen=True)
class ServedRequest:
    """A validated chat-completions request: what to generate and how to answer."""

    chat: ChatRequest
    max_tokens_given: bool  # False: the server's default applies (and is cut to the context)
    stream: bool = False
    include_usage: bool = False  # stream_options.include_usage: a last chunk with the usage


def _number(body: dict[str, Any], name: str, default: float, low: float, high: float) -> float:
    value = body.get(name)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
        raise invalid(name, f"must be a number from {low} to {high}, got {value!r}")
    if not low <= value <= high:
        raise invalid(name, f"must be from {low} to {high}, got {value!r}")
    return float(value)


def _integer(body: dict[str, Any], name: str, low: int, high: int) -> int | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise invalid(name, f"must be an integer from {low} to {high}, got {value!r}")
    if not low <= value <= high:
        raise invalid(name, f"must be from {low} to {high}, got {value!r}")
    return value


def _bool(body: dict[str, Any], name: str) -> bool:
    value = body.get(name, False)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise invalid(name, f"must be true or false, got {value!r}")
    return value


def _include_usage(stream_options: dict[str, Any] | None) -> bool:
    value = (stream_options or {}).get("include_usage", False)
    if not isinstance(value, bool):
        raise invalid("stream_options.include_usage", f"must be true or false, got {value!r:.40}")
    return value


def _content(message: dict[str, Any], where: str) -> str:
    """A message's text: a string, or a list of ``{"type": "text", "text": ...}`` parts."""
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list) and all(
        isinstance(p, dict) and p.get("type") == "text" and isinstance(p.get("text"), str)
        for p in content
    ):
        return "".join(p["text"] for p in content)
    raise invalid(
        f"{where}.content", "must be a string or a list of {type: text, text: string} parts"
    )


def _messages(body: dict[str, Any]) -> tuple[dict[str, str], ...]:
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise invalid("messages", "must be a non-empty list of {role, content} objects")
    parsed = []
    for i, message in enumerate(messages):
        where = f"messages[{i}]"
        if not isinstance(message, dict):
            raise invalid(where, f"must be a {{role, content}} object, got {message!r:.40}")
        role = message.get("role")
        if role not in ROLES:
            raise invalid(f"{where}.role", f"must be one of {', '.join(ROLES)}, got {role!r:.40}")
        parsed.append({"role": "system" if role == "developer" else role, "content": ""})
        parsed[-1]["content"] = _content(message, where)
    return tuple(parsed)


def _stop(body: dict[str, Any]) -> tuple[str, ...]:
    stop = body.get("stop")
    if stop is None:
        return ()
    stops = [stop] if isinstance(stop, str) else stop
    if (
        not isinstance(stops, list)
        or len(stops) > MAX_STOPS
        or not all(isinstance(s, str) and s for s in stops)
    ):
        raise invalid(
            "stop", f"must be a non-empty string or a list of at most {MAX_STOPS}, got {stop!r:.40}"
        )
    return tuple(stops)


def _json_schema(body: dict[str, Any]) -> dict[str, Any] | None:
    fmt = body.get("response_format")
    if fmt is None:
        return None
    kind = fmt.get("type") if isinstance(fmt, dict) else None
    if kind == "text":
        return None
    if kind == "json_object":
        return {"type": "object"}
    if kind == "json_schema":
        spec = fmt.get("json_schema")
        schema = spec.get("schema") if isinstance(spec, dict) else None
        if not isinstance(schema, dict):
            raise invalid("response_format.json_schema.schema", "must be a JSON schema object")
        return schema
    raise invalid(
        "response_format", "must be {type: text}, {type: json_object} or {type: json_schema, ...}"
    )


def parse_chat_request(
    body: Any, model_name: str, max_tokens_cap: int, default_max_tokens: int
) -> ServedRequest:
    """Validate an OpenAI chat-completions ``body`` for the model ``model_name``.

    ``max_tokens`` (or ``max_completion_tokens``) must lie in 1..``max_tokens_cap``; without one
    ``default_max_tokens`` apply (cut to the context window later).
    """
    if not isinstance(body, dict):
        raise RequestError(
            HTTPStatus.BAD_REQUEST, "the body must be a JSON object", "invalid_body", None
        )
    model = body.get("model")
    if model != model_name:
        raise RequestError(
            HTTPStatus.NOT_FOUND,
            f"model {model!r:.60} is not served here; this server has {model_name!r}",
            "model_not_found",
            "model",
        )
    _integer(body, "n", 1, 1)  # one choice per request
    if _number(body, "top_p", 1.0, 0.0, 1.0) != 1.0:
        raise invalid("top_p", "only 1 (no nucleus cut) is served; use temperature")
    for name in ("presence_penalty", "frequency_penalty"):
        if _number(body, name, 0.0, -2.0, 2.0) != 0.0:
            raise invalid(name, "only 0 is served")
    max_tokens = _integer(body, "max_completion_tokens", 1, max_tokens_cap)
    if max_tokens is None:
        max_tokens = _integer(body, "max_tokens", 1, max_tokens_cap)
    stream_options = body.get("stream_options")
    if stream_options is not None and not isinstance(stream_options, dict):
        raise invalid("stream_options", "must be an object like {include_usage: true}")
    chat = ChatRequest(
        messages=_messages(body),
        temperature=_number(body, "temperature", 1.0, 0.0, 2.0),
        max_tokens=max_tokens or default_max_tokens,
        stop=_stop(body),
        seed=_integer(body, "seed", -(2**63), 2**63 - 1),
        json_schema=_json_schema(body),
    )
    return ServedRequest(
        chat=chat,
        max_tokens_given=max_tokens is not None,
        stream=_bool(body, "stream"),
        include_usage=_include_usage(stream_options),
    )
