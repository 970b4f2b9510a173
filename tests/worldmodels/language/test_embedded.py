"""Real generation from the embedded SmolLM2-135M-Instruct model."""

from __future__ import annotations

import jsonschema

from worldmodels.language.embedded import EmbeddedModel

from .helpers import CITY_SCHEMA, FRANCE


def test_greedy_answer_and_usage(embedded: EmbeddedModel) -> None:
    before = embedded.usage
    completion = embedded.chat(FRANCE, max_tokens=16)
    assert "Paris" in completion.text
    assert completion.finish_reason == "stop"
    assert completion.usage.prompt_tokens > 10 and 0 < completion.usage.completion_tokens <= 16
    after = embedded.usage
    assert after.calls == before.calls + 1
    assert after.completion_tokens - before.completion_tokens == completion.usage.completion_tokens


def test_max_tokens_cuts_with_finish_reason_length(embedded: EmbeddedModel) -> None:
    completion = embedded.chat([{"role": "user", "content": "Write a long poem."}], max_tokens=4)
    assert completion.usage.completion_tokens == 4
    assert completion.finish_reason == "length"


def test_seeded_sampling_repeats(embedded: EmbeddedModel) -> None:
    story = [{"role": "user", "content": "Tell me a story."}]
    first, second = (
        embedded.chat(story, temperature=0.9, max_tokens=10, seed=7).text for _ in range(2)
    )
    assert first == second


def test_stop_sequence_is_not_returned(embedded: EmbeddedModel) -> None:
    count = [{"role": "user", "content": "Count from 1 to 10, one number per line."}]
    completion = embedded.chat(count, max_tokens=40, stop=["5"])
    assert "4" in completion.text and "5" not in completion.text
    assert completion.finish_reason == "stop"


def test_structured_output_validates(embedded: EmbeddedModel) -> None:
    question = [{"role": "user", "content": "Which city is the capital of France?"}]
    value = embedded.structured(question, CITY_SCHEMA, max_tokens=40)
    jsonschema.validate(value, CITY_SCHEMA)
