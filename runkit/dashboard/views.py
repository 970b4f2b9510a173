"""What each kind of run page shows, read from the files its entry point writes.

Episode runs: videos with each episode's metrics (per-step records: :mod:`.episodes`).
World-model training: TensorBoard scalars as curves and the prediction plots. Leaderboards: SCO,
Elo and AUP with what each means and why a column is empty. Deploy sessions: the recorded bag's
topics as traces. Every run: its files, config, log tail and metrics.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from runkit.dashboard.episodes import STEPS_FILE
from runkit.dashboard.research import journal_view
from runkit.dashboard.runs import flatten, read_json

log = logging.getLogger(__name__)

MAX_FILES = 500
LOG_TAIL = 20_000
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".webp")
VIDEO_SUFFIXES = (".mp4", ".webm")
# left out of the file list: per-node workspaces, checkpoints, hydra's copy, fold data copies
SKIPPED_FOLDERS = ("nodes", "checkpoints", ".hydra", "selection/data")

LEADERBOARD_COLUMNS: dict[str, dict[str, str]] = {
    "sco": {
        "title": "SCO",
        "means": "Soft Condorcet Optimization rating: each task is a vote ranking the agents by "
        "test score; SCO finds the ratings that agree with the most pairwise preferences.",
        "empty": "no task ranks two agents apart (one agent, or every agent tied or unscored), "
        "so there are no votes to aggregate",
    },
    "elo": {
        "title": "Elo",
        "means": "Elo rating from the same per-task votes, as pairwise games.",
        "empty": "no task ranks two agents apart, so no games were played",
    },
    "aup_val": {
        "title": "AUP (best)",
        "means": "MLGym's area under the performance profile of each agent's best attempts "
        "(higher is better; the task's baseline is one of the profiles).",
        "empty": "no task of this agent has a baseline score and a validation score to profile",
    },
    "aup_last": {
        "title": "AUP (last)",
        "means": "The same area for each agent's last attempt.",
        "empty": "no task of this agent has a baseline score and a last validation score",
    },
    "medal_rate": {
        "title": "medal rate",
        "means": "Share of the agent's runs whose test score earned a medal.",
        "empty": "no run of this agent has a task with medal thresholds",
    },
    "normalised": {
        "title": "norm. score",
        "means": "Mean over tasks of (score − baseline) / (best agent − baseline).",
        "empty": "no task has a baseline score that some agent beats",
    },
}


def file_list(run_dir: Path) -> list[dict[str, Any]]:
    """The run's files (relative names, sizes, kinds), skipping per-node and checkpoint trees."""
    out: list[dict[str, Any]] = []
    for folder, subfolders, files in os.walk(run_dir):
        here = Path(folder)
        subfolders[:] = sorted(
            d
            for d in subfolders
            if (here / d).relative_to(run_dir).as_posix() not in SKIPPED_FOLDERS
            and not os.path.islink(here / d)
        )
        for name in sorted(files):
            path = here / name
            if path.is_symlink() or not path.is_file():
                continue
            suffix = path.suffix.lower()
            kind = "file"
            if suffix in IMAGE_SUFFIXES:
                kind = "image"
            elif suffix in VIDEO_SUFFIXES:
                kind = "video"
            out.append(
                {
                    "name": path.relative_to(run_dir).as_posix(),
                    "bytes": path.stat().st_size,
                    "kind": kind,
                }
            )
            if len(out) >= MAX_FILES:
                return out
    return out


def text_tail(path: Path, limit: int = LOG_TAIL) -> str | None:
    try:
        with path.open("rb") as f:
            f.seek(max(0, f.seek(0, os.SEEK_END) - limit))
            return f.read().decode(errors="replace")
    except OSError:
        return None


def episode_view(run_dir: Path) -> dict[str, Any]:
    """The episodes' metrics and videos (``videos/episode_NNN.mp4`` is episode NNN), the
    videos' frame rate and whether per-step records (``steps.jsonl``, ``/api/steps``) exist."""
    metrics = read_json(run_dir / "metrics.json") or {}
    metrics = metrics if isinstance(metrics, dict) else {}
    episodes = metrics.get("episodes")
    videos = sorted(p.name for p in (run_dir / "videos").glob("*.mp4"))
    fps = metrics.get("video_fps")
    steps = run_dir / STEPS_FILE
    return {
        "episodes": episodes if isinstance(episodes, list) else [],
        "videos": [f"videos/{name}" for name in videos],
        "fps": fps
        if isinstance(fps, int | float) and not isinstance(fps, bool) and fps > 0
        else None,
        "steps": steps.is_file() and not steps.is_symlink(),
    }


def tensorboard_scalars(run_dir: Path) -> dict[str, dict[str, list[float]]]:
    """Every TensorBoard scalar under ``tensorboard/`` as ``{tag: {"x": steps, "y": values}}``."""
    folder = run_dir / "tensorboard"
    if not folder.is_dir():
        return {}
    try:
        from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    except ImportError:
        log.warning("tensorboard is not installed: no training curves")
        return {}
    curves: dict[str, dict[str, list[float]]] = {}
    for events in sorted(folder.rglob("events.out.tfevents.*")):
        accumulator = EventAccumulator(str(events), size_guidance={"scalars": 0})
        try:
            accumulator.Reload()
        except Exception as exc:  # a file still being written may end mid-record
            log.debug("skipping %s: %s", events, exc)
            continue
        for tag in accumulator.Tags().get("scalars", []):
            curve = curves.setdefault(tag, {"x": [], "y": []})
            for event in accumulator.Scalars(tag):
                curve["x"].append(event.step)
                curve["y"].append(event.value)
    return curves


def worldmodel_view(run_dir: Path) -> dict[str, Any]:
    metrics = read_json(run_dir / "metrics.json")
    plots = sorted(p.relative_to(run_dir).as_posix() for p in (run_dir / "plots").glob("*.png"))
    return {
        "curves": tensorboard_scalars(run_dir),
        "plots": plots,
        "open_loop_mse": metrics.get("open_loop_mse") if isinstance(metrics, dict) else None,
    }


def leaderboard_view(run_dir: Path) -> dict[str, Any]:
    """The leaderboard's rows, each column's meaning and, per empty cell, why it is empty."""
    board = read_json(run_dir / "leaderboard.json")
    if not isinstance(board, dict):
        return {"board": None, "columns": LEADERBOARD_COLUMNS}
    for row in board.get("agents") or []:
        row["why_empty"] = {
            key: column["empty"]
            for key, column in LEADERBOARD_COLUMNS.items()
            if row.get(key) is None
        }
    return {"board": board, "columns": LEADERBOARD_COLUMNS}


def deploy_view(run_dir: Path) -> dict[str, Any]:
    """The recorded bag's numeric fields per topic over time (when ``rosbags`` reads it)."""
    bag = run_dir / "session.bag"
    if not bag.is_file():
        return {"traces": {}, "events": [], "note": "this session recorded no bag (session.bag)"}
    try:
        from runkit.dashboard.bags import bag_traces

        read = bag_traces(bag)
    except ImportError as exc:
        return {"traces": {}, "events": [], "note": f"cannot read the bag: {exc}"}
    except Exception as exc:  # a bag still being written has no index yet
        return {"traces": {}, "events": [], "note": f"cannot read session.bag yet: {exc}"}
    return {"traces": read["series"], "events": read["events"], "note": None}


def curves(run_dir: Path, kind: str) -> dict[str, dict[str, Any]]:
    """The run's curves to overlay on the compare page: ``{name: {"x", "y", "xlabel"}}``."""
    if kind == "research":
        nodes = journal_view(run_dir).nodes(0)
        scored = [n for n in nodes if n["score"] is not None and n["finished_at"] is not None]
        if not nodes:
            return {}
        start = min(n["finished_at"] for n in nodes if n["finished_at"] is not None)
        return {
            "validation score per node": {
                "x": [n["id"] for n in scored],
                "y": [n["score"] for n in scored],
                "xlabel": "node",
                "mode": "markers",
            },
            "validation score against time": {
                "x": [n["finished_at"] - start for n in scored],
                "y": [n["score"] for n in scored],
                "xlabel": "seconds since the first node",
                "mode": "markers",
            },
        }
    if kind == "episode":
        episodes = episode_view(run_dir)["episodes"]
        return {
            "return per episode": {
                "x": list(range(len(episodes))),
                "y": [e.get("return") for e in episodes],
                "xlabel": "episode",
                "mode": "lines+markers",
            }
        }
    if kind == "train_worldmodel":
        return {
            tag: {**curve, "xlabel": "step", "mode": "lines"}
            for tag, curve in tensorboard_scalars(run_dir).items()
        }
    return {}


def scalar_metrics(run_dir: Path) -> dict[str, Any]:
    """metrics.json flattened to its scalar values (for the side-by-side comparison)."""
    metrics = read_json(run_dir / "metrics.json")
    if not isinstance(metrics, dict):
        return {}
    return {
        k: v
        for k, v in flatten(metrics).items()
        if v is None or isinstance(v, int | float | str | bool)
    }
