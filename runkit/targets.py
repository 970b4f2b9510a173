"""Whether a ``_target_`` names an object, told in one line (hydra's own error is a traceback)."""

from __future__ import annotations

import importlib


def target_problem(path: str) -> str | None:
    """Why the dotted ``path`` names no object, as hydra would import it (the longest module
    prefix imported, the rest attributes of it); None when it names one. Importing the module
    runs it: only a ``_target_`` the user gave is checked."""
    parts = path.split(".")
    if not path or not all(part.isidentifier() for part in parts):
        return f"{path!r} is not a dotted path (module.Name)"
    try:
        found: object = importlib.import_module(parts[0])
    except ModuleNotFoundError as error:
        if error.name != parts[0]:
            raise
        return f"no module named {parts[0]}"
    for index, part in enumerate(parts[1:], start=1):
        if hasattr(found, part):
            found = getattr(found, part)
            continue
        prefix = ".".join(parts[:index])
        try:
            found = importlib.import_module(f"{prefix}.{part}")
        except ModuleNotFoundError as error:
            if error.name != f"{prefix}.{part}":
                raise
            kind = "module" if isinstance(found, type(importlib)) else "object"
            return f"{kind} {prefix} has no attribute {part}"
    return None
