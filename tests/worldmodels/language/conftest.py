"""The embedded model, loaded once per session, and a real HTTP server that serves it."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from worldmodels.language.embedded import EmbeddedModel
from worldmodels.language.serve import ChatServer

from .helpers import serve_in_thread


@pytest.fixture(scope="session")
def embedded(embedded_model: EmbeddedModel) -> EmbeddedModel:
    """The session's one embedded model (tests/conftest.py), shared with the other test folders."""
    return embedded_model


@pytest.fixture(scope="session")
def server(embedded: EmbeddedModel) -> Iterator[ChatServer]:
    """The embedded model served on a free loopback port."""
    yield from serve_in_thread(ChatServer(embedded))


@pytest.fixture(scope="session")
def keyed_server(embedded: EmbeddedModel) -> Iterator[ChatServer]:
    """The same model behind a server that requires the key "secret"."""
    yield from serve_in_thread(ChatServer(embedded, api_key="secret"))


@pytest.fixture
def free_port() -> int:
    """A loopback port that nothing listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
