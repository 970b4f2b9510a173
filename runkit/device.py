"""Pick the torch device a run computes on."""

from __future__ import annotations

from typing import TYPE_CHECKING

from runkit.preflight import UsageError

if TYPE_CHECKING:
    import torch


def resolve_device(name: str = "auto") -> torch.device:
    """Map "auto" to CUDA when present (else CPU); a name that is no device here is a
    :class:`UsageError` naming it."""
    import torch  # imported on use: an entry point's mistakes are reported without it

    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except RuntimeError as exc:
        raise UsageError(
            f"run.device={name!r} is not a device; use auto, cpu, cuda or cuda:N"
        ) from exc
    if device.type == "cuda" and not torch.cuda.is_available():
        raise UsageError(
            f"run.device={name!r} asks for CUDA but none is available; use auto or cpu"
        )
    if device.type not in ("cpu", "cuda"):
        raise UsageError(f"run.device={name!r} is not supported; use auto, cpu, cuda or cuda:N")
    return device
