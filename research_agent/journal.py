"""The append-only journal of a search run (JSONL, one fsynced line per record).

Two kinds of record:

* ``execution``: written by a worker as soon as a solution has run: its job key, operator,
  parent ids, code, plan, metrics, execution time, exit code, buggy flag, analysis, files.
* ``node``: written by the search loop when the policy adds that execution to its tree as node
  ``id`` (so node ids and executions can be joined).

Executions found on resume are replayed instead of rerun (:meth:`Journal.executions`).
"""

from __future__ import annotations

import fcntl
import json
import os
import threading
from pathlib import Path
from typing import Any

Record = dict[str, Any]


def parse_records(data: bytes) -> list[Record]:
    """The records of the complete lines of journal bytes ``data`` (a line torn by a crash,
    or one that is not a JSON object, is skipped)."""
    records = []
    for line in data.splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(record, dict):
            records.append(record)
    return records


def execution_records(records: list[Record]) -> dict[str, Record]:
    """Execution records by job key (the first one of a key wins)."""
    found: dict[str, Record] = {}
    for record in records:
        if record.get("kind") == "execution":
            found.setdefault(record["key"], record)
    return found


def node_records(records: list[Record]) -> list[Record]:
    """Execution records joined with their node ids, ordered by node id."""
    executions = execution_records(records)
    ids = {r["id"]: r["key"] for r in records if r.get("kind") == "node"}
    return [{**executions[ids[i]], "id": i} for i in sorted(ids) if ids[i] in executions]


class Journal:
    """An append-only JSONL file shared by threads and processes (appends are locked); it
    pickles, so workers on other processes (Ray) append to the same file."""

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._start_cache()
        self._end_torn_line()

    def _start_cache(self) -> None:
        # the records parsed so far and the byte offset up to which they were read: the file
        # only grows, so a read parses just the lines appended since the last one
        self._read_lock = threading.Lock()
        self._parsed: list[Record] = []
        self._offset = 0

    def __getstate__(self) -> dict[str, Any]:
        return {"path": self.path}  # a lock does not pickle: each process gets its own

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.path = state["path"]
        self._lock = threading.Lock()
        self._start_cache()

    def _end_torn_line(self) -> None:
        """Terminate a last line left unfinished by a crash, so the next record starts clean."""
        if self.path.is_file() and self.path.stat().st_size:
            with self.path.open("rb+") as f:
                f.seek(-1, os.SEEK_END)
                if f.read(1) != b"\n":
                    f.write(b"\n")

    def append(self, record: Record) -> None:
        """Append ``record`` as one line and fsync it before returning."""
        line = (json.dumps(record, sort_keys=True, default=str) + "\n").encode()
        with self._lock:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                os.write(fd, line)
                os.fsync(fd)
            finally:
                os.close(fd)

    def records(self) -> list[Record]:
        """Every complete record, in order (a line torn by a crash is skipped)."""
        with self._read_lock:
            size = self.path.stat().st_size if self.path.is_file() else 0
            if size < self._offset:  # the file was replaced: read it again from the start
                self._parsed, self._offset = [], 0
            if size > self._offset:
                with self.path.open("rb") as f:
                    f.seek(self._offset)
                    chunk = f.read(size - self._offset)
                complete = chunk.rfind(b"\n") + 1  # a line still being written waits
                self._parsed += parse_records(chunk[:complete])
                self._offset += complete
            return [dict(record) for record in self._parsed]

    def executions(self, records: list[Record] | None = None) -> dict[str, Record]:
        """Execution records by job key (the first one of a key wins)."""
        return execution_records(self.records() if records is None else records)

    def nodes(self) -> list[Record]:
        """Execution records joined with their node ids, ordered by node id."""
        return node_records(self.records())
