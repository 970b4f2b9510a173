"""Speedrun presets: model size, corpus size, target validation loss and time budget.

``cpu`` runs every record in well under a minute on one core; ``gpu`` is a larger model with a
lower target for one accelerator (its text is bounded by the standard library's source, about
11 MB on Python 3.11: train, the script's validation text and the two graded splits must fit);
``smoke`` is a toy for the tests (seconds per record).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from research_agent.tasks.speedrun.corpus import VOCAB


@dataclass(frozen=True)
class Preset:
    """What a record trains (``dim``, ``layers``, ``heads``, ``seq_len``), on how much text, to
    which ``target_loss`` (nats per token), checked every ``eval_every`` steps on
    ``eval_sequences`` public sequences; a record stops at ``max_seconds``, the sandbox kills it
    at ``time_limit_s``. The grader scores ``num_queries`` held-out next-token queries per split
    and accepts a loss up to ``target_loss + slack`` (the graded text is not the text the script
    checks itself on)."""

    name: str
    dim: int
    layers: int
    heads: int
    seq_len: int
    target_loss: float
    eval_every: int
    max_seconds: float
    time_limit_s: float
    train_bytes: int
    eval_sequences: int
    num_queries: int
    memory_mb: int = 4096
    wants_gpu: bool = False
    slack: float = 0.05

    def setup(self) -> dict[str, Any]:
        """The ``setup.json`` a record reads (public: it defines the task)."""
        keys = ("dim", "layers", "heads", "seq_len", "target_loss", "eval_every", "max_seconds")
        values = asdict(self)
        return {"vocab": VOCAB, **{k: values[k] for k in keys}}


PRESETS: dict[str, Preset] = {
    p.name: p
    for p in (
        Preset("cpu", 64, 2, 4, 64, 2.2, 25, 420.0, 480.0, 4_000_000, 256, 2048),
        Preset("gpu", 384, 6, 6, 256, 1.3, 50, 600.0, 900.0, 6_000_000, 256, 2048, 16384, True),
        Preset("smoke", 32, 1, 2, 32, 3.3, 5, 45.0, 90.0, 400_000, 256, 2048),
    )
}


def preset(name: str) -> Preset:
    """The preset called ``name``."""
    if name not in PRESETS:
        raise KeyError(f"unknown speedrun preset {name!r}; valid: {sorted(PRESETS)}")
    return PRESETS[name]
