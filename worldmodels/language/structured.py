"""Structured output: ask for JSON matching a schema, validate it, retry with the error."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import jsonschema
from jsonschema.exceptions import best_match

from worldmodels.language.types import Message, StructuredOutputError

if TYPE_CHECKING:
    from worldmodels.language.base import LanguageModel


def schema_instruction(schema: dict[str, Any]) -> str:
    """The system message that asks for one JSON value matching ``schema``."""
    return (
        "Reply with one JSON value and nothing else. It must validate against this JSON schema:\n"
        + json.dumps(schema)
    )


def extract_json(text: str) -> Any:
    """The first JSON object or array in ``text`` (models often wrap it in prose or a fence)."""
    decoder = json.JSONDecoder()
    for start, char in enumerate(text):
        if char in "{[":
            try:
                return decoder.raw_decode(text, start)[0]
            except json.JSONDecodeError:
                continue
    raise ValueError("the reply holds no JSON object or array")


def schema_violation(value: Any, validator: jsonschema.protocols.Validator) -> str | None:
    """Why ``value`` does not validate, or None when it does."""
    error = best_match(validator.iter_errors(value))
    if error is None:
        return None
    where = "/".join(str(p) for p in error.absolute_path) or "the top level"
    return f"at {where}: {error.message}"


def complete_json(
    model: LanguageModel,
    messages: Sequence[Message],
    schema: dict[str, Any],
    *,
    retries: int = 2,
    instruct: bool = True,
    **chat_kwargs: Any,
) -> Any:
    """A JSON value from ``model`` that validates against ``schema``.

    Each failed attempt is shown to the model with the reason; after ``retries`` more attempts a
    :class:`StructuredOutputError` names the last reply and what was wrong with it.
    ``instruct``: put the schema in a system message first (False when ``messages`` already
    describe what to write; the schema still guides the decoding where the backend can).
    """
    validator_cls = jsonschema.validators.validator_for(schema)
    validator_cls.check_schema(schema)
    validator = validator_cls(schema)
    instruction = [{"role": "system", "content": schema_instruction(schema)}] if instruct else []
    conversation = [*instruction, *messages]
    problem = ""
    for _ in range(retries + 1):
        reply = model.chat(conversation, json_schema=schema, **chat_kwargs).text
        try:
            value = extract_json(reply)
            problem = schema_violation(value, validator) or ""
        except ValueError as exc:
            problem = str(exc)
        if not problem:
            return value
        conversation += [
            {"role": "assistant", "content": reply},
            {"role": "user", "content": f"That is not valid: {problem}. Reply with the JSON only."},
        ]
    raise StructuredOutputError(
        f"{model.model_name} gave no valid JSON in {retries + 1} attempts; "
        f"last reply {reply!r} is invalid: {problem}"
    )
