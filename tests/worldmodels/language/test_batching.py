"""Continuous batching: requests decode together and give the same tokens as alone."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from worldmodels.language.batching import BatchEngine
from worldmodels.language.embedded import EmbeddedModel
from worldmodels.language.types import ChatRequest

PROMPTS = [
    "What is the capital of France?",
    "Write a long story about a robot that learns to walk.",
    "Count from 1 to 10.",
    "Explain in one paragraph, to a child who asks, why apples fall down from trees.",
]


def request(content: str, **fields: object) -> ChatRequest:
    return ChatRequest(messages=({"role": "user", "content": content},), **fields)


def prompt_ids(model: EmbeddedModel, chat: ChatRequest) -> list[int]:
    encoded = model.tokenizer.apply_chat_template(
        list(chat.messages), add_generation_prompt=True, tokenize=True, return_dict=True
    )
    return list(encoded["input_ids"])


@pytest.fixture(scope="module")
def engine(embedded: EmbeddedModel) -> Iterator[BatchEngine]:
    engine = BatchEngine(embedded, max_batch=8, max_queue=8, prefill_chunk=16)
    yield engine
    engine.close()


def test_greedy_tokens_in_a_batch_are_the_tokens_alone(
    engine: BatchEngine, embedded: EmbeddedModel
) -> None:
    # prompts of different lengths, so rows are left-padded; chunked prefill (16) for the long
    # ones; different max_tokens, so rows leave the batch while others go on
    chats = [request(p, temperature=0.0, max_tokens=8 + 4 * i) for i, p in enumerate(PROMPTS)]
    alone = [engine.submit(c, prompt_ids(embedded, c), False).result() for c in chats]
    together = [engine.submit(c, prompt_ids(embedded, c), False) for c in chats]
    assert [g.result().text for g in together] == [c.text for c in alone]
    assert [g.completion.usage for g in together] == [c.usage for c in alone]
    # and as transformers' generate gives them, one at a time
    assert alone[0].text == embedded.chat(list(chats[0].messages), max_tokens=8).text


def test_a_request_joins_a_running_batch(engine: BatchEngine, embedded: EmbeddedModel) -> None:
    long = request(PROMPTS[1], temperature=0.0, max_tokens=24)
    short = request(PROMPTS[0], temperature=0.0, max_tokens=6)
    short_alone = engine.submit(short, prompt_ids(embedded, short), False).result().text
    first = engine.submit(long, prompt_ids(embedded, long), True)
    deltas = first.deltas()
    next(deltas)  # the long request is decoding
    second = engine.submit(short, prompt_ids(embedded, short), False)
    assert second.result().text == short_alone
    rest = "".join(deltas)
    assert first.completion is not None and first.completion.finish_reason == "length"
    assert rest and first.completion.text.endswith(rest)


def test_seeded_sampling_repeats_in_a_batch(engine: BatchEngine, embedded: EmbeddedModel) -> None:
    chat = request("Tell me a story.", temperature=0.9, max_tokens=10, seed=7)
    ids = prompt_ids(embedded, chat)
    texts = {g.result().text for g in [engine.submit(chat, ids, False) for _ in range(3)]}
    assert len(texts) == 1


def test_stop_sequences_and_streaming_agree(engine: BatchEngine, embedded: EmbeddedModel) -> None:
    chat = request("Count from 1 to 10, one number per line.", temperature=0.0, max_tokens=40)
    chat = ChatRequest(**{**chat.__dict__, "stop": ("5",)})
    streamed = engine.submit(chat, prompt_ids(embedded, chat), True)
    text = "".join(streamed.deltas())
    assert streamed.completion is not None and text == streamed.completion.text
    assert "4" in text and "5" not in text and streamed.completion.finish_reason == "stop"


def test_cancelled_request_leaves_the_batch(engine: BatchEngine, embedded: EmbeddedModel) -> None:
    chat = request(PROMPTS[1], temperature=0.0, max_tokens=200)
    generation = engine.submit(chat, prompt_ids(embedded, chat), True)
    next(generation.deltas())
    generation.cancel()
    deadline = time.monotonic() + 30
    while engine.load()["running"] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert engine.load() == {"running": 0, "waiting": 0}
