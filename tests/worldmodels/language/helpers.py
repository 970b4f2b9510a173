"""Helpers the language-model tests share: prompts, a schema, a ChatServer served in a thread."""

from __future__ import annotations

import threading
from collections.abc import Iterator

from worldmodels.language.serve import ChatServer

FRANCE = [{"role": "user", "content": "What is the capital of France?"}]
CITY_SCHEMA = {
    "type": "object",
    "properties": {"city": {"type": "string"}, "is_capital": {"type": "boolean"}},
    "required": ["city", "is_capital"],
}


def serve_in_thread(server: ChatServer) -> Iterator[ChatServer]:
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
