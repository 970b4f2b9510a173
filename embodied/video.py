"""Write episode frames to an MP4 video."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import imageio.v2 as imageio
import numpy as np


def write_video(path: str | Path, frames: Sequence[np.ndarray], fps: int) -> Path:
    """Encode RGB ``frames`` (H×W×3 uint8) as H.264 MP4 at ``fps``."""
    if not frames:
        raise ValueError(f"no frames to write to {path}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp.mp4")
    with imageio.get_writer(tmp, fps=fps, codec="libx264", quality=7, macro_block_size=8) as writer:
        for frame in frames:
            writer.append_data(np.asarray(frame, dtype=np.uint8))
    tmp.replace(path)
    return path
