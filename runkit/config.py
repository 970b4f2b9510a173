"""The ``run`` section that every entry point's schema embeds."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class RunConfig:
    """Settings every run shares.

    seed: seeds python, numpy and torch (and is the default seed of the run's parts).
    device: "auto" (CUDA when present, else CPU), "cpu", "cuda" or "cuda:N".
    progress: show rich progress bars on long loops.
    """

    seed: int = 0
    device: str = "auto"
    progress: bool = True
