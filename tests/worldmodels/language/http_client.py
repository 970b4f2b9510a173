"""Raw HTTP requests to a test server, for what an SDK would not send (bad or half requests)."""

from __future__ import annotations

import http.client
import json
from typing import Any

from worldmodels.language.serve import ChatServer

NAME = "smollm2-135m-instruct"


def chat_body(content: str = "What is the capital of France?", **fields: Any) -> dict[str, Any]:
    """A chat-completions body for the served model, with ``fields`` added."""
    return {"model": NAME, "messages": [{"role": "user", "content": content}], **fields}


def post(
    server: ChatServer, body: Any, headers: dict[str, str] | None = None, timeout: float = 120
) -> tuple[int, dict[str, str], Any]:
    """POST ``body`` (JSON-encoded unless bytes) to the chat route: status, headers, JSON."""
    host, port = server.server_address[:2]
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        conn.request(
            "POST",
            "/v1/chat/completions",
            body=data,
            headers={"Content-Type": "application/json", **(headers or {})},
        )
        response = conn.getresponse()
        raw = response.read()
        payload = (
            json.loads(raw) if response.getheader("Content-Type") == "application/json" else raw
        )
        return response.status, dict(response.getheaders()), payload
    finally:
        conn.close()


def get(server: ChatServer, path: str) -> tuple[int, Any]:
    host, port = server.server_address[:2]
    conn = http.client.HTTPConnection(host, port, timeout=30)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, json.loads(response.read())
    finally:
        conn.close()
