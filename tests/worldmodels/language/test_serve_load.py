"""The server under many clients at once, and streaming as the ``openai`` client reads it."""

from __future__ import annotations

import http.client
import json
import socket
import time
from concurrent.futures import ThreadPoolExecutor

import openai

from worldmodels.language.serve import ChatServer

from .http_client import NAME, chat_body, get, post
from .test_embedded import FRANCE


def test_fifty_clients_at_once_are_all_answered(server: ChatServer) -> None:
    def client(i: int) -> int:
        status, headers, payload = post(server, chat_body(f"Say {i}.", max_tokens=2), timeout=300)
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


def test_a_client_leaving_mid_stream_frees_its_slot(server: ChatServer) -> None:
    host, port = server.server_address[:2]
    conn = http.client.HTTPConnection(host, port, timeout=60)
    body = chat_body("Write a long story.", max_tokens=400, stream=True)
    conn.request("POST", "/v1/chat/completions", body=json.dumps(body))
    response = conn.getresponse()
    assert response.getheader("Content-Type") == "text/event-stream"
    assert response.readline().startswith(b"data: ")
    conn.sock.shutdown(socket.SHUT_RDWR)
    conn.close()
    deadline = time.monotonic() + 60
    while get(server, "/health")[1]["running"] and time.monotonic() < deadline:
        time.sleep(0.1)
    assert get(server, "/health")[1]["running"] == 0


def test_a_client_leaving_before_the_answer_frees_its_slot(server: ChatServer) -> None:
    with socket.create_connection(server.server_address[:2], timeout=10) as sock:
        data = json.dumps(chat_body("Write a long story.", max_tokens=400)).encode()
        sock.sendall(
            b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n"
            + f"Content-Length: {len(data)}\r\n\r\n".encode()
            + data
        )
        time.sleep(1.0)
    deadline = time.monotonic() + 60
    while get(server, "/health")[1]["running"] and time.monotonic() < deadline:
        time.sleep(0.1)
    assert get(server, "/health")[1]["running"] == 0
    assert post(server, chat_body(max_tokens=2))[0] == 200
