"""Which paths the dashboard may read: files inside run folders under its roots, nothing else.

A request names a path relative to a root (``outputs/research/digits/2026-...``). It is refused
(``None``) when it is absolute, has an empty, ``.`` or ``..`` part, a backslash or NUL, or
resolves (symlinks followed) outside the root or outside a run folder.
"""

from __future__ import annotations

import os
from pathlib import Path

RUN_MARKERS = (".hydra", "config.yaml", "run_status.json")


def is_run_folder(path: Path) -> bool:
    """A run folder holds hydra's ``.hydra/``, the resolved ``config.yaml`` or a run status."""
    return any((path / marker).exists() for marker in RUN_MARKERS)


class Roots:
    """The folders the dashboard serves, by name (their folder name: ``outputs``, ``multirun``)."""

    def __init__(self, folders: list[str | os.PathLike]) -> None:
        self.folders: dict[str, Path] = {}
        for folder in folders:
            path = Path(folder).resolve()
            if path.name in self.folders:
                raise ValueError(f"roots: two roots are named {path.name!r}: {folders}")
            self.folders[path.name] = path

    def resolve(self, relative: str) -> Path | None:
        """The real path of ``relative`` (``<root name>/<parts>``) when it is safe, else None."""
        if not relative or "\x00" in relative or "\\" in relative or relative.startswith("/"):
            return None
        parts = relative.split("/")
        if any(part in ("", ".", "..") for part in parts):
            return None
        root = self.folders.get(parts[0])
        if root is None:
            return None
        real = Path(os.path.realpath(root.joinpath(*parts[1:])))
        if real != root and root not in real.parents:
            return None
        return real

    def run_folder(self, relative: str) -> Path | None:
        """The run folder named by ``relative``, or None when it is not one."""
        path = self.resolve(relative)
        return path if path is not None and path.is_dir() and is_run_folder(path) else None

    def run_file(self, run: str, name: str) -> Path | None:
        """The regular file ``name`` (relative) inside the run folder ``run``, or None when it is
        not one or escapes the run folder."""
        folder = self.run_folder(run)
        if folder is None:
            return None
        path = self.resolve(f"{run}/{name}")
        if path is None or folder not in path.parents or not path.is_file():
            return None
        return path

    def relative(self, path: Path) -> str:
        """The ``<root name>/<parts>`` name of a real path under a root."""
        for name, root in self.folders.items():
            if path == root or root in path.parents:
                return "/".join([name, *path.relative_to(root).parts])
        raise ValueError(f"{path} is under none of the roots {list(self.folders.values())}")
