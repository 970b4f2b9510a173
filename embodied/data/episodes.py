"""The episode format: one compressed ``.npz`` per episode plus a ``dataset.json`` manifest.

A dataset folder holds ``episode_000000.npz``, ``episode_000001.npz``, ... and
``dataset.json`` (env id, fields with their shapes and dtypes, episode count and lengths, how it
was collected). Each episode of ``T`` steps stores, time-major:

- ``action``: ``[T, A]`` float32, ``reward``: ``[T]`` float32, ``terminated``: ``[T]`` bool;
- one array per observation modality with ``T + 1`` entries (the first observation plus one
  after each action): ``proprio`` ``[T+1, D]`` float32, ``rgb`` ``[T+1, H, W, 3]`` uint8,
  ``depth`` ``[T+1, H, W]`` float32, ...;
- ``text`` (the instruction) as token ids, never strings: ``[T+1, L]`` int32, the ids of the
  embedded language model's tokenizer (SmolLM2) padded with -1 to ``L`` = 128 tokens; a text's
  length is its count of ids other than -1 (see ``worldmodels.text_encoder``);
- optionally ``state``: ``[T+1, S]`` float64, MuJoCo's full physics state, for replay.

Files are written atomically, so a killed collection never leaves a half-written episode.
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from planning.checkpoint import atomic_write
from runkit.preflight import PathNotFoundError
from worldmodels.text_encoder import tokenize

MANIFEST = "dataset.json"
STEP_FIELDS = ("action", "reward", "terminated")


def observation_array(
    values: Sequence[Any], dtype: Any = None, tokenizer: str = "smollm2"
) -> np.ndarray:
    """One modality's observations of an episode as an array: strings (text) as padded token
    ids of ``tokenizer`` (see the module docstring), anything else stacked (as ``dtype`` if
    given)."""
    if values and isinstance(values[0], str):
        return tokenize(values, tokenizer)
    array = np.stack([np.asarray(v) for v in values])
    return array if dtype is None else array.astype(dtype)


def _check_episode(episode: dict[str, np.ndarray]) -> int:
    """Validate field lengths; return the episode length ``T``."""
    missing = [k for k in STEP_FIELDS if k not in episode]
    if missing:
        raise ValueError(f"episode lacks {missing}; an episode needs {list(STEP_FIELDS)}")
    length = len(episode["action"])
    for key, value in episode.items():
        expected = length if key in STEP_FIELDS else length + 1
        if len(value) != expected:
            raise ValueError(f"episode field {key!r} has {len(value)} entries, expected {expected}")
    return length


class EpisodeWriter:
    """Appends episodes to a dataset folder and keeps its manifest current."""

    def __init__(self, folder: str | Path, env_id: str, info: dict[str, Any] | None = None) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        manifest = self.folder / MANIFEST
        if manifest.exists():
            self.manifest = json.loads(manifest.read_text())
            if self.manifest["env_id"] != env_id:
                raise ValueError(
                    f"{self.folder} holds episodes of {self.manifest['env_id']!r}, not {env_id!r}"
                )
        else:
            self.manifest = {"env_id": env_id, "fields": {}, "lengths": [], "info": info or {}}

    @property
    def num_episodes(self) -> int:
        return len(self.manifest["lengths"])

    def add(self, episode: dict[str, np.ndarray]) -> Path:
        """Write one episode (see the module docstring for its fields)."""
        length = _check_episode(episode)
        fields = {
            k: {"shape": list(v.shape[1:]), "dtype": str(v.dtype)} for k, v in episode.items()
        }
        if self.manifest["fields"] and fields != self.manifest["fields"]:
            raise ValueError(f"episode fields {fields} differ from the dataset's")
        path = self.folder / f"episode_{self.num_episodes:06d}.npz"
        buffer = io.BytesIO()
        np.savez_compressed(buffer, **episode)
        atomic_write(path, lambda f: f.write(buffer.getvalue()))
        self.manifest["fields"] = fields
        self.manifest["lengths"].append(length)
        text = json.dumps(self.manifest, indent=2)
        atomic_write(self.folder / MANIFEST, lambda f: f.write(text.encode()))
        return path


def load_episode(path: str | Path) -> dict[str, np.ndarray]:
    """Read one episode file; a corrupt or foreign file raises an error naming it."""
    try:
        with np.load(path) as data:
            episode = {k: data[k] for k in data.files}
    except Exception as exc:
        raise ValueError(f"{path} is not a readable episode file: {exc}") from exc
    _check_episode(episode)
    return episode


def load_dataset(folder: str | Path) -> tuple[dict[str, Any], list[dict[str, np.ndarray]]]:
    """The manifest and every episode of a dataset folder, in order."""
    folder = Path(folder)
    manifest_path = folder / MANIFEST
    if not manifest_path.is_file():
        what = "does not exist" if not folder.exists() else f"has no {MANIFEST}"
        raise PathNotFoundError(f"{folder} is not an episode dataset: it {what}")
    manifest = json.loads(manifest_path.read_text())
    count = len(manifest["lengths"])
    episodes = [load_episode(folder / f"episode_{i:06d}.npz") for i in range(count)]
    return manifest, episodes
