"""SQLite cache of completions keyed by model and request, for reproducible reruns."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from dataclasses import asdict
from pathlib import Path

from worldmodels.language.types import ChatRequest, Completion, Usage


class ResponseCache:
    """Stores each deterministic request's completion; safe to share between threads."""

    def __init__(self, path: str | Path) -> None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")  # several processes may share one file
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS completions (key TEXT PRIMARY KEY, value TEXT)"
        )
        self._lock = threading.Lock()

    @staticmethod
    def key(model: str, request: ChatRequest) -> str:
        blob = json.dumps({"model": model, "request": request.to_json()}, sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()

    def get(self, model: str, request: ChatRequest) -> Completion | None:
        with self._lock:
            row = self._db.execute(
                "SELECT value FROM completions WHERE key = ?", (self.key(model, request),)
            ).fetchone()
        if row is None:
            return None
        value = json.loads(row[0])
        return Completion(**{**value, "usage": Usage(**value["usage"]), "cached": True})

    def put(self, model: str, request: ChatRequest, completion: Completion) -> None:
        value = json.dumps({**asdict(completion), "cached": False})
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO completions (key, value) VALUES (?, ?)",
                (self.key(model, request), value),
            )

    def close(self) -> None:
        with self._lock:
            self._db.close()
