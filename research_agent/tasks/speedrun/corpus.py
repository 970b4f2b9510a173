"""The speedrun corpus: the Python standard library's own source files, as ASCII tokens.

Files are taken in a seeded order (test suites and site-packages left out) until the train
budget is filled; the next files give the script's own validation text, then the graded
validation and test text. Every byte is a token (non-ASCII bytes become token 127), so the
vocabulary has 128 entries and the corpus exists offline wherever Python does.

The graded splits are *queries*, causal by construction: query ``i`` is a window of held-out
text cut after a random number of tokens (1 to ``seq_len``), and its label is the token that
follows. A label never occurs in any input: each query scores only the token after its own
window, all evaluation windows (queries and the script's validation sequences alike) lie at
least a window's width apart, so no input continues another's text, and the rows are
shuffled. The mean loss over queries estimates the same quantity as the mean next-token loss
over every position of full sequences (context lengths are uniform).
"""

from __future__ import annotations

import sysconfig
from dataclasses import dataclass
from pathlib import Path

import numpy as np

VOCAB = 128


@dataclass(frozen=True)
class Queries:
    """Next-token queries: row ``i`` of ``inputs`` (right-padded with 0) holds its first
    ``lengths[i]`` tokens of context; ``labels[i]`` is the token after them."""

    inputs: np.ndarray  # [n, seq_len], the text's dtype (uint8 in a corpus)
    lengths: np.ndarray  # [n] int64, 1..seq_len
    labels: np.ndarray  # [n] uint8


@dataclass(frozen=True)
class Corpus:
    """Train tokens (1-D), the script's own validation sequences ([n, seq_len + 1], public, never
    graded) and the graded validation and test queries, all uint8."""

    train: np.ndarray
    val: np.ndarray
    val_queries: Queries
    test_queries: Queries


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


def window_starts(size: int, count: int, width: int, rng: np.random.Generator) -> np.ndarray:
    """Starts of ``count`` windows of ``width`` tokens in a text of ``size`` tokens, one at a
    random place in each of ``count`` equal slots, any two at least ``width`` tokens apart."""
    slot = size // count
    if slot < 2 * width:
        raise ValueError(f"{size} tokens hold fewer than {count} slots of {2 * width} tokens")
    return np.arange(count) * slot + rng.integers(0, slot - 2 * width + 1, count)


def queries(windows: np.ndarray, rng: np.random.Generator) -> Queries:
    """Shuffled next-token queries, one per window of ``seq_len + 1`` tokens: its first 1 to
    ``seq_len`` tokens (uniformly many) and the token after them."""
    count, seq_len = windows.shape[0], windows.shape[1] - 1
    lengths = rng.integers(1, seq_len + 1, count)
    labels = windows[np.arange(count), lengths]
    inputs = np.where(np.arange(seq_len) < lengths[:, None], windows[:, :-1], 0)
    order = rng.permutation(count)
    return Queries(
        inputs[order].astype(windows.dtype), lengths[order].astype(np.int64), labels[order]
    )


def split_files(files: list[Path], wanted: list[int], seed: int) -> list[np.ndarray]:
    """Token streams of the ``wanted`` sizes from disjoint files, taken in a seeded order."""
    order = np.random.default_rng(seed).permutation(len(files))
    parts: list[list[bytes]] = [[] for _ in wanted]
    part, filled = 0, 0
    for index in order:
        data = files[index].read_bytes()
        parts[part].append(data)
        filled += len(data)
        if filled >= wanted[part]:
            part, filled = part + 1, 0
            if part == len(wanted):
                break
    if part < len(wanted):
        raise ValueError(f"the source files hold too few bytes for {wanted} tokens")
    return [encode(b"".join(chunks))[:size] for chunks, size in zip(parts, wanted, strict=True)]


def build(
    train_bytes: int,
    eval_sequences: int,
    num_queries: int,
    seq_len: int,
    seed: int = 0,
    root: Path | None = None,
) -> Corpus:
    """A corpus of ``train_bytes`` training tokens, ``eval_sequences`` validation sequences of
    ``seq_len + 1`` tokens, and ``num_queries`` validation and test queries each, from files in a
    ``seed``-ed order. The evaluation windows are spread over held-out text of twice their
    total size and dealt out to the three sets at random, so all three sample the same files
    (the script's own validation loss and the graded loss differ by sampling noise only)."""
    files = source_files(root)
    if not files:
        raise FileNotFoundError(f"no Python source files under {root or 'the standard library'}")
    width = seq_len + 1
    count = eval_sequences + 2 * num_queries
    train, held_out = split_files(files, [train_bytes, count * 2 * width], seed)
    rng = np.random.default_rng(seed)
    starts = window_starts(len(held_out), count, width, rng)
    windows = held_out[rng.permutation(starts)[:, None] + np.arange(width)]
    val, val_windows, test_windows = np.split(
        windows, [eval_sequences, eval_sequences + num_queries]
    )
    return Corpus(
        train=train,
        val=val,
        val_queries=queries(val_windows, rng),
        test_queries=queries(test_windows, rng),
    )
