"""The OpenAI-compatible backend against the embedded model served over loopback HTTP."""

from __future__ import annotations

import jsonschema
import pytest

from worldmodels.language import (
    AuthenticationFailedError,
    EndpointUnreachableError,
    ModelNotFoundError,
    Pricing,
    StructuredOutputError,
)
from worldmodels.language.embedded import EmbeddedModel
from worldmodels.language.openai_backend import OpenAIModel
from worldmodels.language.serve import ChatServer

from .helpers import CITY_SCHEMA, FRANCE

NAME = "smollm2-135m-instruct"


def client(base_url: str, **kwargs: object) -> OpenAIModel:
    return OpenAIModel(NAME, base_url=base_url, **{"api_key": "any", **kwargs})


def test_served_model_answers_like_the_embedded_one(
    server: ChatServer, embedded: EmbeddedModel
) -> None:
    remote = client(server.base_url, pricing=Pricing(prompt_per_mtok=1.0, completion_per_mtok=2.0))
    completion = remote.chat(FRANCE, max_tokens=16)
    assert completion.text == embedded.chat(FRANCE, max_tokens=16).text
    usage = completion.usage
    assert usage.cost_usd == pytest.approx(
        (usage.prompt_tokens + 2 * usage.completion_tokens) / 1e6
    )
    assert remote.usage.cost_usd == pytest.approx(usage.cost_usd)
    assert [m.id for m in remote.client.models.list()] == [NAME]


def test_structured_output_over_http(server: ChatServer) -> None:
    question = [{"role": "user", "content": "Which city is the capital of France?"}]
    value = client(server.base_url).structured(question, CITY_SCHEMA, max_tokens=40)
    jsonschema.validate(value, CITY_SCHEMA)


def test_unguided_model_that_never_complies_fails_clearly(
    server: ChatServer, embedded: EmbeddedModel
) -> None:
    remote = client(server.base_url, guided_json=False)
    calls = embedded.usage.calls
    with pytest.raises(StructuredOutputError, match=r"no valid JSON in 2 attempts"):
        remote.structured(
            [{"role": "user", "content": "Hello!"}],
            {"type": "object", "required": ["x"]},
            retries=1,
            max_tokens=12,
        )
    assert embedded.usage.calls == calls + 2


def test_cache_replays_deterministic_requests(server: ChatServer, tmp_path) -> None:
    remote = client(server.base_url, cache_path=str(tmp_path / "cache.sqlite"))
    first = remote.chat(FRANCE, max_tokens=8)
    replay = client(server.base_url, cache_path=str(tmp_path / "cache.sqlite")).chat(
        FRANCE, max_tokens=8
    )
    assert replay.cached and not first.cached and replay.text == first.text
    assert remote.chat(FRANCE, max_tokens=8, temperature=1.0).cached is False  # unseeded
    assert remote.usage.calls == 2 and remote.usage.cached_calls == 0


def test_missing_endpoint(free_port: int) -> None:
    remote = client(f"http://127.0.0.1:{free_port}/v1", max_retries=0)
    with pytest.raises(EndpointUnreachableError, match=f"127.0.0.1:{free_port}"):
        remote.chat(FRANCE)


def test_bad_key(keyed_server: ChatServer) -> None:
    with pytest.raises(AuthenticationFailedError, match="refused the API key"):
        client(keyed_server.base_url, api_key="wrong").chat(FRANCE, max_tokens=4)
    assert client(keyed_server.base_url, api_key="secret").chat(FRANCE, max_tokens=4).text


def test_missing_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MY_LLM_KEY", raising=False)
    with pytest.raises(AuthenticationFailedError, match=r"\$MY_LLM_KEY"):
        OpenAIModel(NAME, base_url="http://127.0.0.1:1/v1", api_key_env="MY_LLM_KEY")


def test_unknown_model_names_the_served_one(server: ChatServer) -> None:
    remote = OpenAIModel("gpt-9", base_url=server.base_url, api_key="any")
    with pytest.raises(ModelNotFoundError, match=f"'gpt-9'.*it serves: {NAME}"):
        remote.chat(FRANCE)
