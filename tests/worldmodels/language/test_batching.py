"""Continuous batching: requests decode together and give the same tokens as alone."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from worldmodels.language.batching import BatchEngine, Generation, padding_allows
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


def submit_together(
    engine: BatchEngine, embedded: EmbeddedModel, chats: list[ChatRequest]
) -> list[Generation]:
    """Submit ``chats`` while the engine prefills a long prompt, so they all wait and are
    admitted as one prefill group."""
    blocker = request("word " * 150, temperature=0.0, max_tokens=1)
    first = engine.submit(blocker, prompt_ids(embedded, blocker), False)
    together = [engine.submit(c, prompt_ids(embedded, c), False) for c in chats]
    first.result()
    return together


def test_greedy_tokens_in_a_batch_are_the_tokens_alone(
    engine: BatchEngine, embedded: EmbeddedModel
) -> None:
    # prompts of different lengths, prefilled as one group (left-padded, 16 tokens a chunk
    # over the group, so a short prompt's first chunks are all padding); different max_tokens,
    # so rows leave the batch while others go on
    chats = [request(p, temperature=0.0, max_tokens=8 + 4 * i) for i, p in enumerate(PROMPTS)]
    alone = [engine.submit(c, prompt_ids(embedded, c), False).result() for c in chats]
    before = engine.stats()
    together = submit_together(engine, embedded, chats)
    assert [g.result().text for g in together] == [c.text for c in alone]
    after = engine.stats()
    assert after["prefill_groups"] - before["prefill_groups"] == 2  # the blocker, then all four
    assert after["prefilled_requests"] - before["prefilled_requests"] == 5
    assert (
        after["decoded_rows"] - before["decoded_rows"]
        > after["decode_steps"] - before["decode_steps"]
    )  # more than one row per decode step
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


def test_seeded_sampling_in_a_prefill_group_is_sampling_alone(
    engine: BatchEngine, embedded: EmbeddedModel
) -> None:
    chats = [request(p, temperature=0.8, max_tokens=6, seed=i) for i, p in enumerate(PROMPTS)]
    alone = [engine.submit(c, prompt_ids(embedded, c), False).result().text for c in chats]
    together = submit_together(engine, embedded, chats)
    assert [g.result().text for g in together] == alone


def test_a_prompt_joins_a_prefill_group_only_if_it_pads_little() -> None:
    assert padding_allows([40, 44], 42)
    assert padding_allows([40], 50)  # 10 padding tokens for 90 real ones
    assert not padding_allows([10], 400)  # the short prompt would be 390 tokens of padding
    assert not padding_allows([400, 400], 10)
