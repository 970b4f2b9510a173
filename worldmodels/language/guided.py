"""JSON-schema-guided decoding for transformers models, with ``lm-format-enforcer``.

At each step only tokens that keep the output a valid prefix of a schema-conforming JSON value
are allowed, so even a small model emits parseable JSON of the right shape.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import torch
from lmformatenforcer import JsonSchemaParser, TokenEnforcer, TokenEnforcerTokenizerData

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerBase


def tokenizer_data(tokenizer: PreTrainedTokenizerBase) -> TokenEnforcerTokenizerData:
    """The enforcer's view of the vocabulary (each token's text, and whether it starts a word)."""
    zero = tokenizer.encode("0")[-1]
    special = set(tokenizer.all_special_ids)
    regular = []
    for token in range(len(tokenizer)):
        if token in special:
            continue
        after_zero = tokenizer.decode([zero, token])[1:]  # keeps a leading space if it has one
        regular.append((token, after_zero, len(after_zero) > len(tokenizer.decode([token]))))
    return TokenEnforcerTokenizerData(
        regular,
        lambda ids: tokenizer.decode(ids).rstrip("\ufffd"),
        tokenizer.eos_token_id,
        False,
        len(tokenizer),
    )


def allowed_tokens_fn(
    data: TokenEnforcerTokenizerData, schema: dict[str, Any], prompt_length: int
) -> Callable[[int, torch.Tensor], list[int]]:
    """A ``prefix_allowed_tokens_fn`` for ``generate`` that keeps the reply inside ``schema``."""
    enforcer = TokenEnforcer(data, JsonSchemaParser(schema))

    def allowed(batch_id: int, token_ids: torch.Tensor) -> list[int]:
        return enforcer.get_allowed_tokens(token_ids[prompt_length:].tolist()).allowed_tokens

    return allowed
