"""The console log handler of every entry point (``configs/hydra/job_logging/platform.yaml``)."""

from __future__ import annotations

import logging
import sys

from rich.logging import RichHandler

PLAIN_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def console_handler(show_path: bool = False) -> logging.Handler:
    """Rich's handler on a terminal; on a pipe or file plain lines, one per record, that never
    wrap (rich would fold them, paths included, at 80 columns)."""
    if sys.stdout.isatty():
        return RichHandler(show_path=show_path)
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter(PLAIN_FORMAT))
    return handler
