"""The server refuses bad input with a 400 naming the field, and bounds size, time and load."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from worldmodels.language.embedded import EmbeddedModel
from worldmodels.language.serve import ChatServer, ServeLimits, parse_args

from .helpers import serve_in_thread
from .http_client import chat_body, get, post


@pytest.mark.parametrize(
    ("fields", "param"),
    [
        ({"temperature": "hot"}, "temperature"),
        ({"temperature": 5}, "temperature"),
        ({"max_tokens": -5}, "max_tokens"),
        ({"max_tokens": 1_000_000}, "max_tokens"),
        ({"max_tokens": 2.5}, "max_tokens"),
        ({"stop": 5}, "stop"),
        ({"stop": ["a", 1]}, "stop"),
        ({"seed": "x"}, "seed"),
        ({"stream": "yes"}, "stream"),
        ({"n": 3}, "n"),
        ({"top_p": 0.5}, "top_p"),
        ({"response_format": {"type": "xml"}}, "response_format"),
        ({"messages": "hi"}, "messages"),
        ({"messages": []}, "messages"),
        ({"messages": [{"role": "robot", "content": "hi"}]}, "messages[0].role"),
        ({"messages": [{"role": "user", "content": 7}]}, "messages[0].content"),
    ],
)
def test_wrong_type_or_value_is_400_naming_the_field(
    server: ChatServer, fields: dict, param: str
) -> None:
    status, _, payload = post(server, chat_body(**fields))
    assert status == 400, payload
    error = payload["error"]
    assert error["param"] == param and error["type"] == "invalid_request_error"
    assert error["message"].startswith(f"{param}: ")
    assert "Error" not in error["message"] and "Traceback" not in error["message"]


@pytest.mark.parametrize(
    ("body", "code"),
    [(b"[1, 2]", "invalid_body"), (b"{not json", "invalid_json"), (b"[" * 100_000, "invalid_json")],
)
def test_a_body_that_is_not_an_object_is_400(server: ChatServer, body: bytes, code: str) -> None:
    status, _, payload = post(server, body)
    assert status == 400 and payload["error"]["code"] == code


def test_prompt_over_the_context_window_is_400(server: ChatServer) -> None:
    status, _, payload = post(server, chat_body("word " * 9000, max_tokens=8))
    assert status == 400
    assert payload["error"]["code"] == "context_length_exceeded"
    assert "context window is 8192 tokens" in payload["error"]["message"]


def read_until_closed(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes (headers and body may come apart)."""
    received = b""
    while chunk := sock.recv(4096):
        received += chunk
    return received


def test_huge_content_length_is_413_at_once(server: ChatServer) -> None:
    with socket.create_connection(server.server_address[:2], timeout=10) as sock:
        sock.sendall(
            b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 10000000000\r\n\r\n{"
        )
        answer = read_until_closed(sock)
    assert answer.startswith(b"HTTP/1.0 413"), answer
    assert b"over this server's limit of 1048576" in answer


@pytest.fixture(scope="module")
def strict_server(embedded: EmbeddedModel) -> Iterator[ChatServer]:
    """One request at a time, one waiting, short socket timeouts."""
    limits = ServeLimits(max_batch=1, max_queue=1, read_timeout_s=0.5, body_timeout_s=1.0)
    yield from serve_in_thread(ChatServer(embedded, limits=limits))


def test_half_a_request_times_out_and_holds_nothing(strict_server: ChatServer) -> None:
    with socket.create_connection(strict_server.server_address[:2], timeout=10) as sock:
        sock.sendall(
            b'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 200\r\n\r\n{"mo'
        )
        start = time.monotonic()
        status, _, payload = post(strict_server, chat_body(max_tokens=2), timeout=60)
        assert status == 200, payload  # served beside the stalled client
        answer = read_until_closed(sock)
        assert answer.startswith(b"HTTP/1.0 408"), answer
        assert time.monotonic() - start < 10
    with socket.create_connection(strict_server.server_address[:2], timeout=10) as sock:
        sock.sendall(b"POST /v1/chat/comp")  # half the request line: the read times out
        assert sock.recv(4096) == b""
    assert get(strict_server, "/health") == (200, {"status": "ok", "running": 0, "waiting": 0})


def test_full_queue_is_503_with_retry_after(strict_server: ChatServer) -> None:
    answers: list[tuple[int, dict[str, str]]] = []

    def client() -> None:
        status, headers, _ = post(strict_server, chat_body("Tell me a story.", max_tokens=24))
        answers.append((status, headers))

    threads = [threading.Thread(target=client) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    statuses = sorted(status for status, _ in answers)
    assert statuses[0] == 200 and statuses[-1] == 503 and set(statuses) == {200, 503}
    for status, headers in answers:
        if status == 503:
            assert int(headers["Retry-After"]) >= 1


def test_other_addresses_than_loopback_need_a_key(embedded: EmbeddedModel) -> None:
    with pytest.raises(ValueError, match="set an API key"):
        ChatServer(embedded, host="0.0.0.0")
    with pytest.raises(SystemExit):
        parse_args(["--host", "0.0.0.0", "--api-key", ""])
    args, limits = parse_args(["--host", "0.0.0.0", "--api-key", "k", "--max-batch", "4"])
    assert args.api_key == "k" and limits.max_batch == 4 and limits.backlog >= 128


def test_limits_are_checked() -> None:
    with pytest.raises(ValueError, match="max_batch=0 must be >= 1"):
        ServeLimits(max_batch=0)
    with pytest.raises(SystemExit):
        parse_args(["--max-body-bytes", "-1"])
