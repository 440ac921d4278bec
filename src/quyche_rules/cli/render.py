"""``quyche render``: write the literate view as static HTML files.

The files need no server: open ``DIR/index.html`` in a browser (links are relative). The
same pages are served by ``quyche serve`` once the HTTP service mounts them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from quyche_rules.cli.common import fail
from quyche_rules.errors import QuycheError

render_app = typer.Typer(
    add_completion=False, help="Write the regulation beside its rules as static HTML (--html DIR)."
)


@render_app.callback(invoke_without_command=True)
def render(
    html: Annotated[
        Path | None,
        typer.Option("--html", metavar="DIR", help="write the static site into DIR"),
    ] = None,
) -> None:
    """Write the regulation beside its rules, and every body's duties, as static HTML."""
    if html is None:
        fail("--html: give the directory to write the pages into")
    from quyche_rules.cli.common import engine_for  # --rules-dir, --profile
    from quyche_rules.pages import write_site

    if html.exists() and not html.is_dir():
        fail(f"--html: {html}: exists and is not a directory")
    try:
        files = write_site(engine_for("python"), html)
    except QuycheError as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"--html: {html}: cannot write ({exc.strerror})")
    typer.echo(f"{len(files)} files written; open {html / 'index.html'}")
