"""``quyche``: the command line, one module per command group (``notify``, ``duties``,
``deadline``, ``rules``, ``schema``, ``scenarios`` (``quyche test``), ``render``, ``track``,
``serve``, ``keys``, ``profiles``), the options they share in ``common`` and the app in
``main``.

The top layer: may import every layer below; nothing imports it. The ``quyche`` entry point
names this package, so it must load without the ``[cli]`` extra and then say, in one line,
which extra to install (``missing``). It loads without Typer in any case: ``main`` first
lets ``fast`` answer ``notify FILE... --json`` (a clerk's script, once per letter, pays for
no help machinery), and imports the Typer app only for everything else.
"""

from __future__ import annotations

import sys
import types
from typing import Any

__all__ = ["app", "main"]


class _Package(types.ModuleType):
    """This package, keeping ``main`` the entry function. The import system names every
    submodule on its package when it first loads it, so loading ``cli.main`` (the Typer
    app, now loaded late) would rebind ``quyche_rules.cli.main`` to that module; before,
    this file imported it first and bound the function after, and callers rely on that."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "main" and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


def main(argv: list[str] | None = None) -> None:
    """The entry point: the fast ``notify --json`` when it answers, else the Typer app's
    ``main`` (``cli.main.main``), which never shows a traceback."""
    from quyche_rules.cli.fast import answer

    code = answer(sys.argv[1:] if argv is None else list(argv))
    if code is not None:
        raise SystemExit(code)
    _app_and_main()[1](argv)


def _app_and_main() -> tuple[Any, Any]:
    try:
        from quyche_rules.cli.main import app as typer_app
        from quyche_rules.cli.main import main as typer_main
    except ModuleNotFoundError as exc:  # typer or rich absent: the core was installed alone
        from quyche_rules.cli.missing import without_cli

        return without_cli(exc)
    return typer_app, typer_main


def __getattr__(name: str) -> Any:
    """``quyche_rules.cli.app``, imported on first use (PEP 562)."""
    if name == "app":
        return _app_and_main()[0]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
