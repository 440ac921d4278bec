"""``quyche``: the command line, one module per command group (``notify``, ``duties``,
``deadline``, ``rules``, ``schema``, ``scenarios`` (``quyche test``), ``render``, ``track``,
``serve``, ``keys``, ``profiles``), the options they share in ``common`` and the app in
``main``.

The top layer: may import every layer below; nothing imports it. The ``quyche`` entry point
names this package, so it must load without the ``[cli]`` extra and then say, in one line,
which extra to install (``missing``).
"""

try:
    from quyche_rules.cli.main import app, main
except ModuleNotFoundError as _exc:  # typer or rich absent: the core was installed alone
    from quyche_rules.cli.missing import without_cli

    app, main = without_cli(_exc)

__all__ = ["app", "main"]
