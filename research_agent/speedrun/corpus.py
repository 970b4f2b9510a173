"""The speedrun corpus: the Python standard library's own source files, as ASCII tokens.

Files are taken in a seeded order (test suites and site-packages left out) until the train
budget is filled; the next files give the validation and test text, cut into fixed-length
sequences. Every byte is a token (non-ASCII bytes become token 127), so the vocabulary has 128
entries and the corpus exists offline wherever Python does.
"""

from __future__ import annotations

import sysconfig
from dataclasses import dataclass
from pathlib import Path

import numpy as np

VOCAB = 128


@dataclass(frozen=True)
class Corpus:
    """Train tokens (1-D) and validation/test sequences ([n, seq_len + 1]), all uint8."""

    train: np.ndarray
    val: np.ndarray
    test: np.ndarray


def source_files(root: Path | None = None) -> list[Path]:
    """The standard library's .py files, sorted (tests and installed packages left out)."""
    root = root or Path(sysconfig.get_paths()["stdlib"])
    skip = {"test", "tests", "idlelib", "site-packages", "dist-packages", "__pycache__"}
    return sorted(p for p in root.rglob("*.py") if not skip & set(p.relative_to(root).parts[:-1]))


def encode(data: bytes) -> np.ndarray:
    """Bytes as tokens: ASCII as is, anything else as 127."""
    tokens = np.frombuffer(data, dtype=np.uint8).copy()
    tokens[tokens >= VOCAB] = VOCAB - 1
    return tokens


def build(
    train_bytes: int, eval_sequences: int, seq_len: int, seed: int = 0, root: Path | None = None
) -> Corpus:
    """A corpus of ``train_bytes`` training tokens and ``eval_sequences`` validation and test
    sequences of ``seq_len + 1`` tokens each, from files in a ``seed``-ed order."""
    files = source_files(root)
    if not files:
        raise FileNotFoundError(f"no Python source files under {root or 'the standard library'}")
    order = np.random.default_rng(seed).permutation(len(files))
    eval_bytes = eval_sequences * (seq_len + 1)
    wanted = [train_bytes, eval_bytes, eval_bytes]
    parts: list[list[bytes]] = [[], [], []]
    part, filled = 0, 0
    for index in order:
        data = files[index].read_bytes()
        parts[part].append(data)
        filled += len(data)
        if filled >= wanted[part]:
            part, filled = part + 1, 0
            if part == 3:
                break
    if part < 3:
        raise ValueError(f"the source files hold too few bytes for {wanted} tokens")
    train, val, test = (
        encode(b"".join(chunks))[:size] for chunks, size in zip(parts, wanted, strict=True)
    )
    shape = (eval_sequences, seq_len + 1)
    return Corpus(train=train, val=val.reshape(shape), test=test.reshape(shape))
