"""A package's public names imported on first use (PEP 562), so importing the package is cheap.

An entry point's ``python -m pkg.module`` imports ``pkg/__init__.py`` first; when that pulls
torch and the simulators in, a mistyped argument waits seconds for its one-line error. A package
lists its names and the submodules that define them instead::

    __getattr__, __dir__, __all__ = lazy_exports(__name__, {"MCTS": "planning.mcts", ...})

``from pkg import Name`` and ``pkg.Name`` work as before; the submodule is imported then.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any


def lazy_exports(
    package: str, exports: dict[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]], list[str]]:
    """The ``__getattr__``, ``__dir__`` and ``__all__`` of ``package``, whose public names are
    the keys of ``exports``, each defined in the module its value names."""

    def __getattr__(name: str) -> Any:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        globals_of_package = importlib.import_module(package).__dict__
        globals_of_package[name] = value  # the next access is a plain attribute lookup
        return value

    def __dir__() -> list[str]:
        return sorted({*importlib.import_module(package).__dict__, *exports})

    return __getattr__, __dir__, sorted(exports)
