"""A small OpenAI-compatible HTTP server for one model, so several processes can share it.

``python -m worldmodels.language.serve --port 8000`` serves the embedded model on loopback at
``/v1/chat/completions`` and ``/v1/models``; generation is serialized inside the model.
"""

from __future__ import annotations

import argparse
import json
import logging
import time
import uuid
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from worldmodels.language.base import LanguageModel
from worldmodels.language.types import ChatRequest

log = logging.getLogger(__name__)


class RequestError(Exception):
    """A request the server refuses, with the HTTP status and OpenAI error code to answer."""

    def __init__(self, status: HTTPStatus, message: str, code: str) -> None:
        super().__init__(message)
        self.status, self.code = status, code


class ChatServer(ThreadingHTTPServer):
    """Serves ``model`` under its ``model_name``; requires ``api_key`` as a bearer token if set."""

    daemon_threads = True

    def __init__(
        self,
        model: LanguageModel,
        host: str = "127.0.0.1",
        port: int = 0,
        api_key: str | None = None,
    ) -> None:
        super().__init__((host, port), ChatHandler)
        self.model, self.api_key = model, api_key

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}/v1"


def parse_chat_request(body: dict[str, Any], model_name: str) -> ChatRequest:
    """An OpenAI chat-completions body as a :class:`ChatRequest` for the served model."""
    if body.get("model") != model_name:
        raise RequestError(
            HTTPStatus.NOT_FOUND,
            f"model {body.get('model')!r} is not served here; this server has {model_name!r}",
            "model_not_found",
        )
    if body.get("stream"):
        raise RequestError(HTTPStatus.BAD_REQUEST, "streaming is not supported", "unsupported")
    messages = body.get("messages")
    if not isinstance(messages, list) or not all(
        isinstance(m, dict) and isinstance(m.get("content"), str) for m in messages
    ):
        raise RequestError(
            HTTPStatus.BAD_REQUEST, "messages must be a list of {role, content}", "invalid_messages"
        )
    stop = body.get("stop") or ()
    response_format = body.get("response_format") or {}
    json_schema = None
    if response_format.get("type") == "json_schema":
        json_schema = response_format.get("json_schema", {}).get("schema")
    return ChatRequest(
        messages=tuple({"role": m.get("role", "user"), "content": m["content"]} for m in messages),
        temperature=float(body.get("temperature", 1.0)),
        max_tokens=int(body.get("max_tokens") or body.get("max_completion_tokens") or 256),
        stop=(stop,) if isinstance(stop, str) else tuple(stop),
        seed=body.get("seed"),
        json_schema=json_schema,
    )


class ChatHandler(BaseHTTPRequestHandler):
    server: ChatServer

    def do_GET(self) -> None:
        self._answer(self._models)

    def do_POST(self) -> None:
        self._answer(self._chat_completion)

    def _models(self) -> dict[str, Any]:
        if self.path.rstrip("/") != "/v1/models":
            raise RequestError(HTTPStatus.NOT_FOUND, f"no route GET {self.path}", "not_found")
        entry = {"id": self.server.model.model_name, "object": "model", "owned_by": "worldmodels"}
        return {"object": "list", "data": [entry]}

    def _chat_completion(self) -> dict[str, Any]:
        if self.path.rstrip("/") != "/v1/chat/completions":
            raise RequestError(HTTPStatus.NOT_FOUND, f"no route POST {self.path}", "not_found")
        try:
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
        except ValueError as exc:  # json.JSONDecodeError is one
            raise RequestError(
                HTTPStatus.BAD_REQUEST, f"body is not JSON: {exc}", "bad_json"
            ) from exc
        model = self.server.model
        completion = model.complete(parse_chat_request(body, model.model_name))
        return {
            "id": f"chatcmpl-{uuid.uuid4().hex}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model.model_name,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": completion.text},
                    "finish_reason": completion.finish_reason,
                }
            ],
            "usage": {
                "prompt_tokens": completion.usage.prompt_tokens,
                "completion_tokens": completion.usage.completion_tokens,
                "total_tokens": completion.usage.prompt_tokens + completion.usage.completion_tokens,
            },
        }

    def _answer(self, route: Callable[[], dict[str, Any]]) -> None:
        try:
            self._check_key()
            status, payload = HTTPStatus.OK, route()
        except RequestError as exc:
            status, payload = exc.status, _error(str(exc), exc.code)
        except Exception as exc:  # a failed generation must not kill the server thread silently
            log.exception("request failed")
            status, payload = HTTPStatus.INTERNAL_SERVER_ERROR, _error(str(exc), "server_error")
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _check_key(self) -> None:
        key = self.server.api_key
        if key and self.headers.get("Authorization") != f"Bearer {key}":
            raise RequestError(HTTPStatus.UNAUTHORIZED, "invalid API key", "invalid_api_key")

    def log_message(self, format: str, *args: Any) -> None:
        log.debug(format, *args)


def _error(message: str, code: str) -> dict[str, Any]:
    return {"error": {"message": message, "type": "invalid_request_error", "code": code}}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N")
    parser.add_argument("--dtype", default="float32")
    parser.add_argument("--api-key", default=None, help="require this bearer token")
    args = parser.parse_args(argv)

    from worldmodels.language.embedded import EmbeddedModel

    model = EmbeddedModel(device=args.device, dtype=args.dtype)
    server = ChatServer(model, args.host, args.port, api_key=args.api_key)
    print(f"serving {server.model.model_name} at {server.base_url}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
