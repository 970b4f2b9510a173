"""Retries, timeouts and the concurrency limit against a real server that fails or stalls."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from worldmodels.language import LanguageModelError, RequestTimeoutError
from worldmodels.language.openai_backend import OpenAIModel

REPLY = {
    "id": "chatcmpl-1",
    "object": "chat.completion",
    "created": 0,
    "model": "scripted",
    "choices": [
        {"index": 0, "message": {"role": "assistant", "content": "ok"}, "finish_reason": "stop"}
    ],
    "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4},
}


class ScriptedServer(ThreadingHTTPServer):
    """Answers with the statuses in ``script`` first, then 200; each answer after ``delay_s``."""

    daemon_threads = True

    def __init__(self, script: list[int], delay_s: float = 0.0) -> None:
        super().__init__(("127.0.0.1", 0), ScriptedHandler)
        self.script, self.delay_s = list(script), delay_s
        self.hits = self.in_flight = self.max_in_flight = 0
        self.lock = threading.Lock()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"


class ScriptedHandler(BaseHTTPRequestHandler):
    server: ScriptedServer

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        s = self.server
        with s.lock:
            s.hits += 1
            s.in_flight += 1
            s.max_in_flight = max(s.max_in_flight, s.in_flight)
            status = s.script.pop(0) if s.script else 200
        time.sleep(s.delay_s)
        body = json.dumps(REPLY if status == 200 else {"error": {"message": f"status {status}"}})
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("retry-after-ms", "10")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body.encode())
        with s.lock:
            s.in_flight -= 1

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def scripted(request: pytest.FixtureRequest) -> Iterator[ScriptedServer]:
    server = ScriptedServer(*request.param)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def model(server: ScriptedServer, **kwargs: object) -> OpenAIModel:
    return OpenAIModel("scripted", base_url=server.base_url, api_key="any", **kwargs)


HELLO = [{"role": "user", "content": "hello"}]


@pytest.mark.parametrize("scripted", [([429, 500],)], indirect=True)
def test_retries_429_and_5xx_then_succeeds(scripted: ScriptedServer) -> None:
    assert model(scripted, max_retries=2).chat(HELLO).text == "ok"
    assert scripted.hits == 3


@pytest.mark.parametrize("scripted", [([503, 503],)], indirect=True)
def test_gives_up_after_max_retries(scripted: ScriptedServer) -> None:
    with pytest.raises(LanguageModelError, match="status 503"):
        model(scripted, max_retries=1).chat(HELLO)
    assert scripted.hits == 2


@pytest.mark.parametrize("scripted", [([], 1.0)], indirect=True)
def test_timeout_is_retried_then_reported(scripted: ScriptedServer) -> None:
    start = time.perf_counter()
    with pytest.raises(RequestTimeoutError, match="did not answer in time"):
        model(scripted, timeout_s=0.2, max_retries=1).chat(HELLO)
    assert time.perf_counter() - start < 1.5
    assert scripted.hits == 2


@pytest.mark.parametrize("scripted", [([], 0.2)], indirect=True)
def test_concurrency_limit(scripted: ScriptedServer) -> None:
    shared = model(scripted, max_concurrency=2)
    threads = [threading.Thread(target=shared.chat, args=(HELLO,)) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert scripted.hits == 6 and scripted.max_in_flight == 2
    assert shared.usage.calls == 6 and shared.usage.prompt_tokens == 18
