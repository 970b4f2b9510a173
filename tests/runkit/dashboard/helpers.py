"""Helpers the dashboard tests share."""

from __future__ import annotations

import json
import urllib.request


def api(base: str, path: str):
    with urllib.request.urlopen(base + path, timeout=30) as response:
        return json.loads(response.read())
