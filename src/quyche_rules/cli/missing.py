"""The ``quyche`` entry point when the ``[cli]`` extra is not installed.

``pip install quyche-rules`` installs the library a Python system embeds, without Typer or
Rich; the script ``quyche`` is still created by pip. Run then, it must say in one line which
extra to install (exit status 2), never show an ``ImportError`` traceback.
"""

from __future__ import annotations

import sys
from typing import Any

from quyche_rules.errors import missing_extra


def without_cli(exc: ModuleNotFoundError) -> tuple[Any, Any]:
    """``(app, main)`` stand-ins naming the missing extra; any other missing module is a
    bug of the package and is raised again."""
    err = missing_extra(exc)
    if err is None:
        raise exc

    def main(argv: list[str] | None = None) -> None:
        sys.stderr.write(f"error: {err}\n")
        raise SystemExit(1)  # a failure a retry may fix, once the extra is installed

    return None, main
