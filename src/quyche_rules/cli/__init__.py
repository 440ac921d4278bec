"""``quyche``: the command line, one module per command group (``notify``, ``duties``,
``deadline``, ``rules``, ``schema``, ``scenarios`` (``quyche test``), ``render``, ``track``,
``serve``, ``keys``), the options they share in ``common`` and the app in ``main``.

The top layer: may import every layer below; nothing imports it.
"""

from quyche_rules.cli.main import app, main

__all__ = ["app", "main"]
