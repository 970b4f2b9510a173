"""The dashboard: browse, watch and compare every run in the browser, live and read-only.

``python -m runkit.dashboard`` (``make dashboard``) serves the run folders under ``outputs/``
and ``multirun/``. It reads the files runs write (config.yaml, run_status.json, metrics.json,
run.log, journal.jsonl, videos, plots) by their formats and imports nothing of the project
above ``runkit``. See docs/dashboard.md.
"""
