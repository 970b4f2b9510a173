"""The run's own status record, ``run_status.json`` in the run folder.

Written when an entry point starts (``running``, with its pid and host) and when it ends
(``finished``, ``failed`` with the error, or ``killed`` on Ctrl-C / SystemExit with a non-zero
code). A run killed hard (SIGKILL, a lost machine) keeps ``running`` with a pid that no longer
lives: readers such as the dashboard call that ``killed``.
"""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from planning.checkpoint import atomic_write

STATUS_FILE = "run_status.json"


def write_status(run_dir: Path, record: dict[str, Any]) -> None:
    """Write ``record`` as the run's status, atomically."""
    text = json.dumps(record, indent=1, sort_keys=True, default=str)
    atomic_write(Path(run_dir) / STATUS_FILE, lambda f: f.write(text.encode() + b"\n"))


@contextmanager
def recorded_status(run_dir: Path, entry_point: str) -> Iterator[None]:
    """Record the status of the code run inside this block in ``run_dir/run_status.json``."""
    Path(run_dir).mkdir(parents=True, exist_ok=True)
    record: dict[str, Any] = {
        "status": "running",
        "entry_point": entry_point,
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "started_at": time.time(),
    }
    write_status(run_dir, record)
    try:
        yield
    except (KeyboardInterrupt, SystemExit) as exc:
        code = getattr(exc, "code", 1)
        status = "finished" if isinstance(exc, SystemExit) and not code else "killed"
        write_status(
            run_dir,
            {**record, "status": status, "ended_at": time.time(), "error": type(exc).__name__},
        )
        raise
    except BaseException as exc:
        write_status(
            run_dir,
            {
                **record,
                "status": "failed",
                "ended_at": time.time(),
                "error": f"{type(exc).__name__}: {exc}"[:2000],
            },
        )
        raise
    write_status(run_dir, {**record, "status": "finished", "ended_at": time.time()})
