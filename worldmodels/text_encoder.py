"""Text as an observation modality: instructions become padded token ids, a small learned
encoder turns the ids into an embedding that the world model fuses with the other modalities.

Episodes and replay store token ids, never strings: ``text`` is ``[..., L]`` int32, the ids of
the instruction followed by ``PAD`` (-1) up to ``L`` tokens; its length is the count of
non-``PAD`` ids (:func:`text_lengths`). Two tokenizers: ``smollm2``, the tokenizer of the
embedded language model (offline; converted once from its GGUF file and cached on disk, since
that conversion takes about a minute), and ``bytes`` (UTF-8 bytes, nothing to load). The encoder
is a token embedding, attention-pooled over the tokens present (a learned score per token, so
the words that tell instructions apart can outweigh the words they share), then an MLP; a
batch encodes each distinct instruction once (a planner or a batch of windows repeats the same
one many times).
"""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import torch
from torch import Tensor, nn

from worldmodels.layers import mlp

TEXT_MODALITY = "text"
PAD = -1
DEFAULT_MAX_TOKENS = 128
VOCAB_SIZES = {"smollm2": 49152, "bytes": 256}


class Tokenizer(Protocol):
    """What turns a string into token ids."""

    def encode(self, text: str) -> list[int]: ...


class ByteTokenizer:
    """UTF-8 bytes as token ids (vocabulary 256)."""

    def encode(self, text: str) -> list[int]:
        return list(text.encode("utf-8"))


class SmolLM2Tokenizer:
    """The embedded SmolLM2's tokenizer, read from the cached ``tokenizer.json`` (converted from
    the GGUF file the first time, offline)."""

    def __init__(self, cache_dir: Path | None = None) -> None:
        from tokenizers import Tokenizer as FastTokenizer

        folder = cache_dir or smollm2_tokenizer_cache()
        if not (folder / "tokenizer.json").is_file():
            _convert_smollm2_tokenizer(folder)
        self.tokenizer = FastTokenizer.from_file(str(folder / "tokenizer.json"))

    def encode(self, text: str) -> list[int]:
        return self.tokenizer.encode(text, add_special_tokens=False).ids


def smollm2_tokenizer_cache() -> Path:
    """Where the converted SmolLM2 tokenizer lives (``$XDG_CACHE_HOME`` or ``~/.cache``)."""
    root = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(root) / "embodied-platform" / "smollm2-tokenizer"


def _convert_smollm2_tokenizer(folder: Path) -> None:
    """Convert the GGUF file's tokenizer to ``folder/tokenizer.json`` (written atomically)."""
    from transformers import AutoTokenizer

    from worldmodels.language.embedded import smollm2_gguf

    gguf = smollm2_gguf()
    tokenizer = AutoTokenizer.from_pretrained(
        gguf.parent, gguf_file=gguf.name, local_files_only=True
    )
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=folder.parent, prefix=".tokenizer-"))
    try:
        tokenizer.backend_tokenizer.save(str(staging / "tokenizer.json"))
        with contextlib.suppress(OSError):  # another process converted it first
            staging.rename(folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


@functools.cache
def get_tokenizer(name: str) -> Tokenizer:
    """The tokenizer called ``name`` (one of :data:`VOCAB_SIZES`), loaded once per process."""
    if name == "bytes":
        return ByteTokenizer()
    if name == "smollm2":
        return SmolLM2Tokenizer()
    raise ValueError(f"unknown text tokenizer {name!r}; valid: {', '.join(VOCAB_SIZES)}")


@functools.lru_cache(maxsize=4096)
def _token_ids(text: str, tokenizer: str, max_tokens: int) -> tuple[int, ...]:
    ids = get_tokenizer(tokenizer).encode(text)
    if len(ids) > max_tokens:
        raise ValueError(
            f"text {text[:60]!r} has {len(ids)} tokens, more than max_tokens={max_tokens}"
        )
    return tuple(ids)


def tokenize(
    texts: Sequence[str], tokenizer: str = "smollm2", max_tokens: int = DEFAULT_MAX_TOKENS
) -> np.ndarray:
    """``[N, max_tokens]`` int32 ids of ``texts``, ``PAD`` after each text's tokens (a repeated
    text is tokenized once)."""
    if max_tokens < 1:
        raise ValueError(f"max_tokens must be >= 1, got {max_tokens}")
    out = np.full((len(texts), max_tokens), PAD, dtype=np.int32)
    for i, text in enumerate(texts):
        if not isinstance(text, str):
            raise TypeError(f"text observation {i} is a {type(text).__name__}, not a str")
        ids = _token_ids(text, tokenizer, max_tokens)
        out[i, : len(ids)] = ids
    return out


def with_token_ids(
    observation: Mapping[str, Any], tokenizer: str, max_tokens: int = DEFAULT_MAX_TOKENS
) -> Mapping[str, Any]:
    """``observation`` with its ``text`` string as ``[max_tokens]`` padded token ids, as
    episodes store it (an agent's step observation); one without a text string is returned
    as it is."""
    text = observation.get(TEXT_MODALITY)
    if not isinstance(text, str):
        return observation
    return {**observation, TEXT_MODALITY: tokenize([text], tokenizer, max_tokens)[0]}


def text_lengths(ids: np.ndarray | Tensor) -> np.ndarray | Tensor:
    """How many tokens each row of padded ``ids[..., L]`` holds."""
    return (ids != PAD).sum(-1)


class TextEncoder(nn.Module):
    """Padded token ids ``[N, L]`` to an ``[N, out_dim]`` embedding: a token embedding of
    ``embed_dim``, attention-pooled over the tokens present (softmax of a learned score per
    token; a text without tokens pools to zeros), then an MLP."""

    def __init__(self, vocab_size: int, embed_dim: int, out_dim: int, act: str) -> None:
        super().__init__()
        self.vocab_size = vocab_size
        self.embedding = nn.Embedding(vocab_size, embed_dim)
        self.score = nn.Linear(embed_dim, 1)
        self.head = mlp([embed_dim, out_dim, out_dim], act)

    def forward(self, ids: Tensor) -> Tensor:
        if ids.dtype.is_floating_point:
            raise TypeError(f"text observations must be integer token ids, got {ids.dtype}")
        ids = ids.long()
        if ids.numel() and int(ids.max()) >= self.vocab_size:
            raise ValueError(
                f"text token id {int(ids.max())} is outside the vocabulary of {self.vocab_size}"
                " (were the episodes tokenized with another tokenizer?)"
            )
        unique, inverse = torch.unique(ids, dim=0, return_inverse=True)
        present = (unique != PAD).unsqueeze(-1)
        tokens = self.embedding(unique.clamp(min=0))
        scores = self.score(tokens).masked_fill(~present, float("-inf"))
        weights = torch.softmax(scores, 1).nan_to_num(0.0)  # no tokens: all -inf, NaN -> 0
        return self.head((weights * tokens).sum(1))[inverse]
