"""Re-exports that load on first use (PEP 562).

A package's ``__init__`` that imported every name it re-exports would load its siblings
whenever any one submodule is imported (``rulebook.conditions`` would load the rule loader
and every event model): the command line pays for that at every start. The package names
each public name's module instead; mypy reads the ``TYPE_CHECKING`` imports beside it.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def exports(package: str, where: Mapping[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` for ``package`` that imports ``where[name]`` on first use
    and keeps the value in the package's namespace (the next access is a plain lookup)."""

    def __getattr__(name: str) -> Any:
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        vars(importlib.import_module(package))[name] = value
        return value

    return __getattr__
