"""Checkpoints: a folder per step with ``model.safetensors`` (weights), ``train_state.safetensors``
(optimisers, target network, RNG states) and ``checkpoint.json`` (model spec, step, the
non-tensor training state and a SHA-256 of each file).

A checkpoint folder is written under a temporary name and renamed into place, so a killed job
leaves either the whole checkpoint or none. Loading verifies the hashes and the model spec, and
names what is wrong when they do not match.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load as load_tensors
from safetensors.torch import save as save_tensors

from planning.checkpoint import atomic_write
from runkit.preflight import UsageError
from worldmodels.model import WorldModel

FORMAT = "worldmodel-checkpoint/1"
META = "checkpoint.json"
MODEL_FILE = "model.safetensors"
STATE_FILE = "train_state.safetensors"
PREFIX = "step_"


class CheckpointError(ValueError):
    """A checkpoint is corrupt, incomplete or does not fit the model asked for."""


class NotACheckpointError(CheckpointError, UsageError):
    """The path given as a checkpoint does not exist or holds no checkpoint: the user's
    mistake, reported by an entry point as one line (:mod:`runkit.hydra_app`)."""


def flatten_state(state: Any, prefix: str = "") -> tuple[dict[str, torch.Tensor], Any]:
    """Split a nested state into ``{"a/b/0": tensor}`` and a JSON tree with tensors replaced
    by ``{"tensor": key}``."""
    if isinstance(state, torch.Tensor):
        return {prefix: state.detach().cpu().contiguous()}, {"tensor": prefix}
    if isinstance(state, dict):
        tensors, tree = {}, {}
        for key, value in state.items():
            sub, tree[str(key)] = flatten_state(value, f"{prefix}/{key}" if prefix else str(key))
            tensors.update(sub)
        return tensors, {"dict": tree, "int_keys": all(isinstance(k, int) for k in state)}
    if isinstance(state, list | tuple):
        tensors, items = {}, []
        for i, value in enumerate(state):
            sub, item = flatten_state(value, f"{prefix}/{i}")
            tensors.update(sub)
            items.append(item)
        return tensors, {"list": items}
    return {}, {"value": state}


def unflatten_state(tree: Any, tensors: dict[str, torch.Tensor]) -> Any:
    """Inverse of :func:`flatten_state`."""
    if "tensor" in tree:
        return tensors[tree["tensor"]]
    if "dict" in tree:
        cast = int if tree["int_keys"] and tree["dict"] else str
        return {cast(k): unflatten_state(v, tensors) for k, v in tree["dict"].items()}
    if "list" in tree:
        return [unflatten_state(v, tensors) for v in tree["list"]]
    return tree["value"]


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def save_checkpoint(
    folder: str | os.PathLike,
    step: int,
    model: WorldModel,
    train_state: dict[str, Any],
    keep: int = 2,
    env: str | None = None,
) -> Path:
    """Write checkpoint ``step`` to ``folder/step_NNNNNNNN`` atomically; keep ``keep`` newest.

    ``env`` names the environment the model was trained on (read back by :func:`checkpoint_env`).
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    model_bytes = save_tensors(
        {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    )
    state_tensors, state_tree = flatten_state(train_state)
    state_bytes = save_tensors(state_tensors)
    meta = {
        "format": FORMAT,
        "step": step,
        "model": model.spec(),
        "env": env,
        "train_state": state_tree,
        "sha256": {MODEL_FILE: _sha256(model_bytes), STATE_FILE: _sha256(state_bytes)},
    }
    tmp = Path(tempfile.mkdtemp(dir=folder, prefix=f".{PREFIX}{step:08d}."))
    try:
        for name, data in ((MODEL_FILE, model_bytes), (STATE_FILE, state_bytes)):
            atomic_write(tmp / name, lambda f, data=data: f.write(data))
        text = json.dumps(meta, indent=2).encode()
        atomic_write(tmp / META, lambda f: f.write(text))
        final = folder / f"{PREFIX}{step:08d}"
        if final.exists():
            shutil.rmtree(final)
        os.replace(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    for old in list_checkpoints(folder)[:-keep]:
        shutil.rmtree(old, ignore_errors=True)
    return final


def list_checkpoints(folder: str | os.PathLike) -> list[Path]:
    """The complete checkpoint folders under ``folder``, oldest first."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.glob(f"{PREFIX}*") if p.is_dir() and (p / META).is_file())


def latest_checkpoint(folder: str | os.PathLike) -> Path | None:
    found = list_checkpoints(folder)
    return found[-1] if found else None


def _read_meta(path: Path) -> dict[str, Any]:
    meta_path = path / META
    if not path.exists():
        raise NotACheckpointError(f"checkpoint {path} does not exist")
    if not meta_path.is_file():
        what = f"the folder has no {META}" if path.is_dir() else "it is a file, not a folder"
        raise NotACheckpointError(f"{path} is not a checkpoint: {what}")
    try:
        meta = json.loads(meta_path.read_text())
    except ValueError as exc:
        raise CheckpointError(f"{meta_path} is corrupt: {exc}") from exc
    if meta.get("format") != FORMAT:
        raise CheckpointError(f"{meta_path} has format {meta.get('format')!r}, expected {FORMAT!r}")
    return meta


def _read_tensors(path: Path, name: str, meta: dict[str, Any]) -> dict[str, torch.Tensor]:
    file = path / name
    if not file.is_file():
        raise CheckpointError(f"checkpoint {path} lacks {name}")
    data = file.read_bytes()
    if _sha256(data) != meta["sha256"][name]:
        raise CheckpointError(f"{file} is corrupt: its SHA-256 differs from the one in {META}")
    try:
        return load_tensors(data)
    except SafetensorError as exc:
        raise CheckpointError(f"{file} is not a readable safetensors file: {exc}") from exc


def _spec_differences(
    expected: dict[str, Any], found: dict[str, Any], prefix: str = ""
) -> list[str]:
    diffs = []
    for key in sorted(set(expected) | set(found)):
        a, b = expected.get(key), found.get(key)
        name = f"{prefix}{key}"
        if isinstance(a, dict) and isinstance(b, dict):
            diffs += _spec_differences(a, b, f"{name}.")
        elif a != b:
            diffs.append(f"{name}: checkpoint has {b!r}, expected {a!r}")
    return diffs


def load_checkpoint(
    path: str | os.PathLike, model: WorldModel | None = None
) -> tuple[WorldModel, dict[str, Any], int]:
    """Model, training state and step of the checkpoint folder ``path``.

    With ``model`` given, the checkpoint must match its spec and is loaded into it; otherwise a
    model is built from the checkpoint's spec.
    """
    path = Path(path)
    meta = _read_meta(path)
    if model is None:
        model = WorldModel.from_spec(meta["model"])
    else:
        diffs = _spec_differences(model.spec(), meta["model"])
        if diffs:
            raise CheckpointError(f"checkpoint {path} does not fit the model: " + "; ".join(diffs))
    weights = _read_tensors(path, MODEL_FILE, meta)
    try:
        model.load_state_dict(weights)
    except RuntimeError as exc:
        raise CheckpointError(f"{path / MODEL_FILE} does not fit the model: {exc}") from exc
    state = unflatten_state(meta["train_state"], _read_tensors(path, STATE_FILE, meta))
    return model, state, int(meta["step"])


def _resolve(path: str | os.PathLike) -> Path:
    """A checkpoint folder, or the newest checkpoint in a run's folder."""
    path = Path(path)
    if not (path / META).exists():
        found = latest_checkpoint(path)
        path = found if found is not None else path
    return path


def load_world_model(path: str | os.PathLike) -> WorldModel:
    """Just the model of a checkpoint folder (or of the newest checkpoint in a run's folder)."""
    return load_checkpoint(_resolve(path))[0]


def checkpoint_env(path: str | os.PathLike) -> str | None:
    """The env id a checkpoint was trained on (None for checkpoints that did not record it)."""
    env = _read_meta(_resolve(path)).get("env")
    return None if env is None else str(env)
