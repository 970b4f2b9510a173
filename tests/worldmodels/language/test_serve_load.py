"""The server under many clients at once, and streaming as the ``openai`` client reads it."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import openai
import pytest

from worldmodels.language.embedded import EmbeddedModel
from worldmodels.language.serve import ChatServer, ServeLimits

from .helpers import FRANCE, serve_in_thread
from .http_client import NAME, chat_body, get, post


@pytest.fixture(scope="module")
def small_queue_server(embedded: EmbeddedModel) -> Iterator[ChatServer]:
    """8 decoding, 8 waiting: most of 50 clients at once get a 503, and the test stays short."""
    yield from serve_in_thread(ChatServer(embedded, limits=ServeLimits(max_queue=8)))


def test_fifty_clients_at_once_are_all_answered(small_queue_server: ChatServer) -> None:
    server = small_queue_server

    def client(i: int) -> int:
        status, headers, payload = post(server, chat_body(f"Say {i}.", max_tokens=2), timeout=600)
        assert status in (200, 503), payload
        if status == 503:
            assert int(headers["Retry-After"]) >= 1
        else:
            assert payload["usage"]["completion_tokens"] <= 2
        return status

    with ThreadPoolExecutor(50) as pool:
        statuses = list(pool.map(client, range(50)))  # a reset or refusal would raise here
    assert len(statuses) == 50 and statuses.count(200) >= server.limits.max_batch
    assert get(server, "/health")[0] == 200
    status, stats = get(server, "/stats")  # the requests waiting together ran together
    assert status == 200 and stats["mean_decode_batch"] > 1 and stats["mean_prefill_group"] > 1


def openai_client(server: ChatServer) -> openai.OpenAI:
    return openai.OpenAI(base_url=server.base_url, api_key="any", max_retries=0, timeout=120)


def test_streaming_with_the_openai_client(server: ChatServer) -> None:
    client = openai_client(server)
    whole = client.chat.completions.create(
        model=NAME, messages=FRANCE, max_tokens=16, temperature=0
    )
    chunks = list(
        client.chat.completions.create(
            model=NAME,
            messages=FRANCE,
            max_tokens=16,
            temperature=0,
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == whole.choices[0].message.content and "Paris" in text
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices]
    assert finishes[-1] == whole.choices[0].finish_reason and set(finishes[:-1]) == {None}
    assert chunks[-1].usage is not None
    assert chunks[-1].usage.completion_tokens == whole.usage.completion_tokens


def test_openai_client_sees_the_field_in_a_400(server: ChatServer) -> None:
    try:
        openai_client(server).chat.completions.create(
            model=NAME, messages=FRANCE, temperature="hot"
        )
    except openai.BadRequestError as exc:
        assert exc.status_code == 400 and exc.body["param"] == "temperature"
    else:
        raise AssertionError("temperature='hot' was accepted")


def send_raw(server: ChatServer, body: dict) -> socket.socket:
    """A socket that has sent ``body`` as a chat-completions request."""
    sock = socket.create_connection(server.server_address[:2], timeout=60)
    data = json.dumps(body).encode()
    sock.sendall(
        b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n"
        + f"Content-Length: {len(data)}\r\n\r\n".encode()
        + data
    )
    return sock


def wait_until_idle(server: ChatServer, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while get(server, "/health")[1]["running"] and time.monotonic() < deadline:
        time.sleep(0.1)
    assert get(server, "/health")[1] == {"status": "ok", "running": 0, "waiting": 0}


def test_a_client_leaving_mid_stream_frees_its_slot(server: ChatServer) -> None:
    with send_raw(server, chat_body("Write a long story.", max_tokens=300, stream=True)) as sock:
        received = b""
        while b"\r\n\r\ndata: " not in received:
            received += sock.recv(4096)
        assert b"text/event-stream" in received
    wait_until_idle(server)


def test_a_client_leaving_before_the_answer_frees_its_slot(server: ChatServer) -> None:
    with send_raw(server, chat_body("Write a long story.", max_tokens=300)):
        time.sleep(1.0)
    wait_until_idle(server)
    assert post(server, chat_body(max_tokens=2))[0] == 200
