"""Atomic save and load of search-policy state."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


# the mode open() gives a new file (0644 under the usual umask 022); mkstemp's own is 0600
FILE_MODE = 0o666 & ~_umask()


def atomic_write(path: str | os.PathLike, write: Callable[[IO[bytes]], None]) -> None:
    """Call ``write`` on a temporary file beside ``path``, then rename it over ``path``.

    A crash mid-write leaves the previous file intact. The file gets the mode any other new
    file gets (:data:`FILE_MODE`, from the umask), so a run folder's files share one mode.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, FILE_MODE)
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save_state(path: str | os.PathLike, state: dict[str, Any]) -> None:
    """Write ``state`` to ``path`` atomically."""
    import torch  # imported on use: atomic_write serves every run folder without torch

    atomic_write(path, lambda f: torch.save(state, f))


def load_state(path: str | os.PathLike) -> dict[str, Any]:
    """Read a state written by :func:`save_state`; a missing or corrupt file is a clear error."""
    import torch

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no search checkpoint at {path}")
    try:
        state = torch.load(path, map_location="cpu", weights_only=False)
    except Exception as exc:  # torch raises several types for truncated or foreign files
        raise ValueError(f"search checkpoint {path} is corrupt or not a checkpoint: {exc}") from exc
    if not isinstance(state, dict):
        raise ValueError(f"search checkpoint {path} holds {type(state).__name__}, expected a dict")
    return state
