"""What every ``quyche`` command module shares: the one-line refusal (status 2).

A clerk must never see a traceback or a message spread over several lines, whichever
command refused the input: every command module ends its errors here.
"""

from __future__ import annotations

from typing import NoReturn

import typer

from .errors import one_line


def fail(message: str) -> NoReturn:
    """Print ``error: <message>`` as one line on stderr and exit with status 2."""
    typer.echo(f"error: {one_line(message)}", err=True)
    raise typer.Exit(2)
