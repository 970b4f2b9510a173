"""Classify a failed execution into the failure kinds the debug rules know."""

from __future__ import annotations

from typing import Any

FAILURES = ("timeout", "oom", "nan", "missing_output", "error")
_SIGXCPU = -24


def diagnose(execution: dict[str, Any]) -> str | None:
    """None for a good run, else one of :data:`FAILURES`."""
    error = execution.get("error")
    if error is None:
        return None
    stderr = execution.get("stderr", "")
    if execution.get("timed_out") or execution.get("exit_code") == _SIGXCPU:
        return "timeout"
    if any(s in stderr for s in ("MemoryError", "out of memory", "Cannot allocate memory")):
        return "oom"
    if execution.get("exit_code") == -9:
        return "oom"
    if "NaN" in stderr or "contains NaN" in error:
        return "nan"
    if "was written" in error:
        return "missing_output"
    return "error"
