"""Scene assets (MJCF, URDF, meshes), loaded by name."""

from __future__ import annotations

from pathlib import Path

ASSET_DIR = Path(__file__).resolve().parent / "assets"


def asset_path(name: str) -> Path:
    """Path of the asset ``name`` (e.g. ``"cartpole.xml"``); an unknown name lists what exists."""
    path = ASSET_DIR / name
    if not path.is_file():
        available = sorted(p.name for p in ASSET_DIR.iterdir() if p.is_file())
        raise FileNotFoundError(f"no scene asset {name!r}; available: {', '.join(available)}")
    return path
