"""Helpers the dashboard tests share."""

from __future__ import annotations

import json
import shutil
import urllib.request
from pathlib import Path


def api(base: str, path: str):
    with urllib.request.urlopen(base + path, timeout=30) as response:
        return json.loads(response.read())


def copy_run(source: Path, target: Path) -> Path:
    """A copy of a run folder (links kept as links)."""
    shutil.copytree(source, target, symlinks=True)
    return target
