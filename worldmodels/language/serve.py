"""A local OpenAI-compatible HTTP server for the embedded model, shared by many clients at once.

``python -m worldmodels.language.serve --port 8000`` serves ``/v1/chat/completions`` (streaming
included), ``/v1/models``, ``/health`` and ``/stats`` (how much batching happened) on loopback.
Requests in flight decode together (continuous batching, :mod:`worldmodels.language.batching`,
waiting requests prefilled together too); beyond ``max_batch`` running and
``max_queue`` waiting, a request is answered 503 with ``Retry-After``. Every field is validated
(400 naming it), and the body size, prompt and completion tokens, connections and socket reads
are bounded (:class:`ServeLimits`, each a ``--flag``). Binding an address other than loopback
requires an API key (``--api-key`` or ``$LLM_SERVE_API_KEY``), then sent as ``Authorization:
Bearer``.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import hmac
import ipaddress
import json
import logging
import os
import select
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from worldmodels.language.batching import BatchEngine, GenerationCancelledError, QueueFullError
from worldmodels.language.embedded import EmbeddedModel
from worldmodels.language.openai_request import RequestError, ServedRequest, parse_chat_request
from worldmodels.language.quantize import QUANTIZATIONS
from worldmodels.language.types import Completion

log = logging.getLogger(__name__)

API_KEY_ENV = "LLM_SERVE_API_KEY"


@dataclass(frozen=True)
class ServeLimits:
    """What one server accepts and how much work it takes on (each is a ``--flag``)."""

    max_batch: int = field(default=8, metadata={"help": "requests decoded together per step"})
    max_queue: int = field(default=32, metadata={"help": "requests waiting beyond those; then 503"})
    max_body_bytes: int = field(default=1 << 20, metadata={"help": "request body size cap"})
    max_tokens: int = field(default=4096, metadata={"help": "cap on a request's max_tokens"})
    default_max_tokens: int = field(
        default=256, metadata={"help": "max_tokens of a request that gives none"}
    )
    max_context: int = field(
        default=0, metadata={"help": "prompt + completion tokens; 0 = the model's window"}
    )
    prefill_chunk: int = field(default=256, metadata={"help": "prompt tokens prefilled per step"})
    read_timeout_s: float = field(
        default=10.0, metadata={"help": "seconds a socket read or write may wait"}
    )
    body_timeout_s: float = field(
        default=30.0, metadata={"help": "seconds the whole request body may take to arrive"}
    )
    max_connections: int = field(default=256, metadata={"help": "open connections; then 503"})
    backlog: int = field(default=256, metadata={"help": "listen backlog"})

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, float) and not value > 0:
                raise ValueError(f"{f.name}={value} must be > 0")
            low = 0 if f.name in ("max_queue", "max_context") else 1
            if isinstance(value, int) and value < low:
                raise ValueError(f"{f.name}={value} must be >= {low}")
        if self.default_max_tokens > self.max_tokens:
            raise ValueError(
                f"default_max_tokens={self.default_max_tokens} is over max_tokens={self.max_tokens}"
            )


def is_loopback(host: str) -> bool:
    """Whether every address ``host`` names is a loopback address."""
    try:
        infos = socket.getaddrinfo(host, None)
    except socket.gaierror:
        return False
    return bool(infos) and all(ipaddress.ip_address(i[4][0]).is_loopback for i in infos)


class ChatServer(ThreadingHTTPServer):
    """Serves ``model`` under its ``model_name``; requires ``api_key`` as a bearer token if set.

    Raises ``ValueError`` when ``host`` is not loopback and no ``api_key`` is given.
    """

    daemon_threads = True

    def __init__(
        self,
        model: EmbeddedModel,
        host: str = "127.0.0.1",
        port: int = 0,
        api_key: str | None = None,
        limits: ServeLimits | None = None,
    ) -> None:
        if not api_key and not is_loopback(host):
            raise ValueError(
                f"binding {host!r} exposes the model beyond this machine: set an API key "
                f"(--api-key or ${API_KEY_ENV}), or bind 127.0.0.1"
            )
        self.model, self.api_key = model, api_key
        self.limits = limits or ServeLimits()
        self.request_queue_size = self.limits.backlog
        self.context = min(self.limits.max_context or model.context_window, model.context_window)
        super().__init__((host, port), ChatHandler)
        self.engine = BatchEngine(
            model, self.limits.max_batch, self.limits.max_queue, self.limits.prefill_chunk
        )
        self._tokenizer = copy.deepcopy(model.tokenizer)  # the engine decodes with the original
        self._tokenizer_lock = threading.Lock()
        self._connections = threading.BoundedSemaphore(self.limits.max_connections)

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}/v1"

    def prompt_ids(self, messages: list[dict[str, str]]) -> list[int]:
        """The chat template applied to ``messages``, as token ids."""
        with self._tokenizer_lock:
            encoded = self._tokenizer.apply_chat_template(
                messages, add_generation_prompt=True, tokenize=True, return_dict=True
            )
        return list(encoded["input_ids"])

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self._connections.acquire(blocking=False):  # over max_connections: answer 503
            with contextlib.suppress(OSError):
                request.sendall(_BUSY)
            self.shutdown_request(request)
            return
        super().process_request(request, client_address)

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._connections.release()

    def server_close(self) -> None:
        super().server_close()
        self.engine.close()


def _error_body(message: str, code: str, param: str | None = None) -> bytes:
    return json.dumps(
        {"error": {"message": message, "type": "server_error", "param": param, "code": code}}
    ).encode()


_BUSY_BODY = _error_body("too many open connections; retry shortly", "server_busy")
_BUSY = (
    b"HTTP/1.0 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: 1\r\n"
    + f"Content-Length: {len(_BUSY_BODY)}\r\nConnection: close\r\n\r\n".encode()
    + _BUSY_BODY
)


class ChatHandler(BaseHTTPRequestHandler):
    """One connection: one request, answered as JSON or as server-sent events."""

    server: ChatServer

    def setup(self) -> None:
        self.timeout = self.server.limits.read_timeout_s  # every socket read and write
        super().setup()

    def do_GET(self) -> None:
        routes = {"/v1/models": self._models, "/health": self._health, "/stats": self._stats}
        route = routes.get(self.path.rstrip("/"))
        if route is None:
            self._send_error(
                RequestError(HTTPStatus.NOT_FOUND, f"no route GET {self.path}", "not_found")
            )
            return
        self._guarded(route, authenticate=route is not self._health)

    def do_POST(self) -> None:
        if self.path.rstrip("/") != "/v1/chat/completions":
            self._send_error(
                RequestError(HTTPStatus.NOT_FOUND, f"no route POST {self.path}", "not_found")
            )
            return
        self._guarded(self._chat_completion, authenticate=True)

    def _guarded(self, route: Callable[[], None], authenticate: bool) -> None:
        try:
            if authenticate:
                self._read_body_if_any()
                self._check_key()
            route()
        except RequestError as exc:
            self._send_error(exc)
        except (GenerationCancelledError, ConnectionError, TimeoutError):
            self.close_connection = True  # the client left or stalled; nobody to answer
        except Exception:  # a failed request must not kill the thread, nor leak internals
            log.exception("request failed")
            self._send_error(
                RequestError(
                    HTTPStatus.INTERNAL_SERVER_ERROR, "internal server error", "server_error"
                )
            )

    # ----- routes

    def _models(self) -> None:
        entry = {"id": self.server.model.model_name, "object": "model", "owned_by": "worldmodels"}
        self._send_json(HTTPStatus.OK, {"object": "list", "data": [entry]})

    def _health(self) -> None:
        self._send_json(HTTPStatus.OK, {"status": "ok", **self.server.engine.load()})

    def _stats(self) -> None:
        """The engine's counts of decode steps and rows, with the mean batch per step."""
        self._send_json(HTTPStatus.OK, self.server.engine.stats())

    def _chat_completion(self) -> None:
        server = self.server
        try:
            body = json.loads(self._body)
        except (ValueError, RecursionError) as exc:  # json.JSONDecodeError is a ValueError
            raise RequestError(
                HTTPStatus.BAD_REQUEST, f"the body is not JSON: {exc}", "invalid_json"
            ) from None
        limits = server.limits
        served = parse_chat_request(
            body, server.model.model_name, limits.max_tokens, limits.default_max_tokens
        )
        prompt_ids = server.prompt_ids(list(served.chat.messages))
        served = self._fit_context(served, len(prompt_ids))
        try:
            generation = server.engine.submit(served.chat, prompt_ids, served.stream)
        except QueueFullError as exc:
            raise RequestError(
                HTTPStatus.SERVICE_UNAVAILABLE,
                f"the server is busy: {exc}",
                "server_busy",
                headers={"Retry-After": str(exc.retry_after_s)},
            ) from None
        if served.stream:
            self._stream(generation, served)
            return
        completion = generation.result(gone=self._client_gone)
        self._send_json(HTTPStatus.OK, self._completion_json(completion))

    def _fit_context(self, served: ServedRequest, prompt_tokens: int) -> ServedRequest:
        """``served`` with max_tokens cut to the context left, or a 400 if it does not fit."""
        context = self.server.context
        room = context - prompt_tokens
        if room < 1 or (served.max_tokens_given and served.chat.max_tokens > room):
            asked = served.chat.max_tokens if served.max_tokens_given else 1
            raise RequestError(
                HTTPStatus.BAD_REQUEST,
                f"the context window is {context} tokens, and this request asks for "
                f"{prompt_tokens + asked} ({prompt_tokens} in the messages, {asked} in the "
                "completion); shorten the messages or lower max_tokens",
                "context_length_exceeded",
                "messages" if room < 1 else "max_tokens",
            )
        if served.chat.max_tokens <= room:
            return served
        chat = type(served.chat)(**{**served.chat.__dict__, "max_tokens": room})
        return type(served)(**{**served.__dict__, "chat": chat})

    def _stream(self, generation: Any, served: ServedRequest) -> None:
        """Server-sent events as OpenAI's streaming API sends them, ending with ``[DONE]``."""
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()
        self.close_connection = True
        chunk_id, created = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())

        def event(delta: dict[str, str], finish: str | None, **extra: Any) -> None:
            payload = {
                "id": chunk_id,
                "object": "chat.completion.chunk",
                "created": created,
                "model": self.server.model.model_name,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
                **extra,
            }
            self.wfile.write(f"data: {json.dumps(payload)}\n\n".encode())
            self.wfile.flush()

        try:
            event({"role": "assistant", "content": ""}, None)
            for text in generation.deltas(gone=self._client_gone):
                event({"content": text}, None)
            completion = generation.completion
            event({}, completion.finish_reason)
            if served.include_usage:
                payload = {"usage": _usage(completion), "choices": []}
                self.wfile.write(f"data: {json.dumps({'id': chunk_id, **payload})}\n\n".encode())
            self.wfile.write(b"data: [DONE]\n\n")
            self.wfile.flush()
        except (OSError, ValueError, GenerationCancelledError):  # the client left mid-stream
            generation.cancel()
            raise ConnectionError("the client left mid-stream") from None
        except Exception:
            generation.cancel()
            log.exception("stream failed")
            error = {"error": {"message": "internal server error", "code": "server_error"}}
            with contextlib.suppress(OSError):
                self.wfile.write(f"data: {json.dumps(error)}\n\n".encode())
            raise ConnectionError("the stream failed") from None

    def _completion_json(self, completion: Completion) -> dict[str, Any]:
        return {
            "id": f"chatcmpl-{uuid.uuid4().hex}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": completion.model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": completion.text},
                    "finish_reason": completion.finish_reason,
                }
            ],
            "usage": _usage(completion),
        }

    # ----- the request's body, key and connection

    def _read_body_if_any(self) -> None:
        """Read the body into ``self._body`` within the size and time limits."""
        self._body = b""
        if self.command != "POST":
            return
        limits = self.server.limits
        if self.headers.get("Transfer-Encoding"):
            raise RequestError(
                HTTPStatus.LENGTH_REQUIRED,
                "send the body with a Content-Length (chunked transfer is not served)",
                "length_required",
            )
        declared = self.headers.get("Content-Length")
        if declared is None:
            raise RequestError(
                HTTPStatus.LENGTH_REQUIRED, "a Content-Length header is required", "length_required"
            )
        if not declared.strip().isdigit():
            raise RequestError(
                HTTPStatus.BAD_REQUEST,
                f"Content-Length must be a number of bytes, got {declared!r:.40}",
                "invalid_content_length",
            )
        length = int(declared)
        if length > limits.max_body_bytes:
            self.close_connection = True
            raise RequestError(
                HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                f"the body is {length} bytes, over this server's limit of "
                f"{limits.max_body_bytes} (--max-body-bytes)",
                "body_too_large",
            )
        deadline = time.monotonic() + limits.body_timeout_s
        chunks, received = [], 0
        while received < length:
            try:
                chunk = self.rfile.read1(min(length - received, 1 << 16))
            except TimeoutError:
                chunk = None
            if chunk is None or time.monotonic() > deadline:
                self.close_connection = True
                raise RequestError(
                    HTTPStatus.REQUEST_TIMEOUT,
                    f"the body did not arrive in time ({received} of {length} bytes)",
                    "request_timeout",
                )
            if not chunk:
                raise ConnectionError(f"the client left after {received} of {length} bytes")
            chunks.append(chunk)
            received += len(chunk)
        self._body = b"".join(chunks)

    def _check_key(self) -> None:
        key = self.server.api_key
        if not key:
            return
        given = self.headers.get("Authorization", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {key}".encode()):
            raise RequestError(
                HTTPStatus.UNAUTHORIZED,
                "invalid API key: send Authorization: Bearer <key>",
                "invalid_api_key",
                headers={"WWW-Authenticate": "Bearer"},
            )

    def _client_gone(self) -> bool:
        """Whether the client closed its end (readable with nothing to read)."""
        try:
            readable, _, _ = select.select([self.connection], [], [], 0)
            return bool(readable) and not self.connection.recv(1, socket.MSG_PEEK)
        except (OSError, ValueError):
            return True

    # ----- answers

    def _send_error(self, exc: RequestError) -> None:
        self._send_json(exc.status, exc.payload(), exc.headers)

    def _send_json(
        self, status: HTTPStatus, payload: dict[str, Any], headers: dict[str, str] | None = None
    ) -> None:
        data = json.dumps(payload).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
        except OSError:  # the client left before the answer
            self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:
        log.debug(format, *args)


def _usage(completion: Completion) -> dict[str, int]:
    usage = completion.usage
    return {
        "prompt_tokens": usage.prompt_tokens,
        "completion_tokens": usage.completion_tokens,
        "total_tokens": usage.prompt_tokens + usage.completion_tokens,
    }


def parse_args(argv: list[str] | None = None) -> tuple[argparse.Namespace, ServeLimits]:
    """The command line: where to serve, which model, and the :class:`ServeLimits`."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    parser.add_argument("--host", default="127.0.0.1", help="non-loopback needs an API key")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N")
    parser.add_argument("--dtype", default="float32")
    parser.add_argument(
        "--quantize",
        default="auto",
        choices=["auto", *QUANTIZATIONS],
        help="fast: float16 layers and an int8 output head (CPU, float32); none: float32 as "
        "the GGUF de-quantised; auto: fast on CPU in float32",
    )
    parser.add_argument(
        "--api-key",
        default=os.environ.get(API_KEY_ENV),
        help=f"require this bearer token (default ${API_KEY_ENV}; the variable keeps it out of ps)",
    )
    for f in fields(ServeLimits):
        parser.add_argument(
            "--" + f.name.replace("_", "-"),
            type=type(f.default),
            default=f.default,
            help=f.metadata["help"],
        )
    args = parser.parse_args(argv)
    try:
        limits = ServeLimits(**{f.name: getattr(args, f.name) for f in fields(ServeLimits)})
    except ValueError as exc:
        parser.error(str(exc))
    if not args.api_key and not is_loopback(args.host):
        parser.error(
            f"--host {args.host} is not loopback: set an API key (--api-key or ${API_KEY_ENV})"
        )
    return args, limits


def main(argv: list[str] | None = None) -> None:
    args, limits = parse_args(argv)
    model = EmbeddedModel(device=args.device, dtype=args.dtype, quantize=args.quantize)
    server = ChatServer(model, args.host, args.port, api_key=args.api_key, limits=limits)
    print(
        f"serving {model.model_name} at {server.base_url} (weights {model.quantize}, "
        f"batch {limits.max_batch}, "
        f"queue {limits.max_queue}, context {server.context} tokens)",
        flush=True,
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
