"""``quyche``: the command line for clerks and for scripts.

Human output is a table with Vietnamese names as the text writes them; ``--json`` gives the
documented contract. Bad input exits with status 2 and one line that names the place: a
clerk must never be shown a traceback, whatever the input (``main`` is the last resort).

Exit status: 0 ok · 1 a failure a retry may fix (database unreachable, a missing optional
dependency: the line names the extra to install), or `rules coverage` found gaps · 2 bad
input or usage · 130 interrupted.
"""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import Annotated

import typer

from quyche_rules.cli.common import RETRYABLE, ProfileOpt, options, rulebook
from quyche_rules.cli.deadline import deadline
from quyche_rules.cli.duties import duties
from quyche_rules.cli.keys import keys_app
from quyche_rules.cli.notify import notify
from quyche_rules.cli.render import render_app
from quyche_rules.cli.rules import rules_app
from quyche_rules.cli.scenarios import test_app
from quyche_rules.cli.schema import schema_app
from quyche_rules.cli.serve import serve_app
from quyche_rules.cli.track import track_app
from quyche_rules.cli.whynot import why_not
from quyche_rules.errors import DatabaseError, QuycheError, one_line

app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__)

app.command()(notify)
app.command()(duties)
app.command()(deadline)
app.command("why-not")(why_not)
app.add_typer(rules_app, name="rules")
app.add_typer(schema_app, name="schema")
app.add_typer(test_app)  # `quyche test`: scenario files (cli/scenarios.py)
app.add_typer(render_app, name="render")
app.add_typer(track_app, name="track")
app.add_typer(serve_app, name="serve")
app.add_typer(keys_app, name="keys")
# a pipe or a file gets room for Vietnamese names; a terminal keeps its own width


@app.callback(invoke_without_command=True)
def _main_options(
    ctx: typer.Context,
    rules_dir: Annotated[
        Path | None,
        typer.Option(
            "--rules-dir",
            help="use this rules directory (default: $QUYCHE_RULES_DIR, else the packaged one)",
        ),
    ] = None,
    version: Annotated[
        bool,
        typer.Option("--version", help="print the version and the rulebook's content hash"),
    ] = False,
    profile: ProfileOpt = None,
) -> None:
    """Who must notify, consult, invite or inform whom under the Quy chế phối hợp."""
    options["rules_dir"] = rules_dir
    options["profile"] = profile
    if version:
        from quyche_rules import __version__

        book = rulebook()
        typer.echo(
            f"quyche-rules {__version__} rulebook sha256:{book.content_hash} ({book.directory})"
        )
        raise typer.Exit(0)
    if ctx.invoked_subcommand is None:
        typer.echo(ctx.get_help())
        raise typer.Exit(2)


def main(argv: list[str] | None = None) -> None:
    """Entry point: whatever happens, one line on stderr, never a traceback.

    Exit status: 0 success; 1 a failure a retry may fix (database unreachable, missing
    optional dependency) or ``rules coverage`` found gaps; 2 bad input or usage (one
    line); 130 interrupted. An unexpected exception is reported as ``internal error`` with
    its type, still on one line, with status 2.
    """
    code: int
    try:
        rv = app(args=argv, standalone_mode=False)
        code = rv if isinstance(rv, int) else 0
    except DatabaseError as exc:
        code = _last_line(str(exc), 1 if exc.code in RETRYABLE else 2)
    except QuycheError as exc:
        code = _last_line(str(exc))
    except ModuleNotFoundError as exc:  # an optional dependency: a retry after installing
        code = _last_line(_missing(exc), 1)
    except KeyboardInterrupt:
        code = 130
    except BrokenPipeError:
        code = 1
    except MemoryError:
        code = _last_line("out of memory")
    except Exception as exc:
        if type(exc).__name__ == "NoArgsIsHelpError":  # no arguments: show the help
            typer.echo(getattr(exc, "format_message", str)(), err=True)
            code = 2
        elif hasattr(exc, "format_message") and hasattr(exc, "exit_code"):  # usage errors
            code = _last_line(f"usage: {exc.format_message()}")
        elif _unreachable(exc):
            code = _last_line(f"database: {str(exc).splitlines()[0] if str(exc) else exc}", 1)
        else:
            code = _last_line(f"internal error ({type(exc).__name__}): {exc}")
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        code = code or 1
        sys.stdout = None  # do not complain again at exit
    raise SystemExit(code)


#: optional dependencies and the extra that installs them
_EXTRAS = {"psycopg": "postgresql", "durable_rules_engine": "", "durable": ""}


def _missing(exc: ModuleNotFoundError) -> str:
    name = (exc.name or "").split(".")[0]
    extra = _EXTRAS.get(name)
    if extra:
        return f"missing optional dependency {name}: pip install 'quyche-rules[{extra}]'"
    return f"missing dependency {name or exc}: reinstall quyche-rules"


def _unreachable(exc: Exception) -> bool:
    """SQLAlchemy's errors for a database that cannot be reached (checked by name: the
    CLI does not import SQLAlchemy unless a command opens a database)."""
    return type(exc).__module__.startswith("sqlalchemy") and type(exc).__name__ in (
        "OperationalError",
        "DisconnectionError",
        "TimeoutError",
    )


def _last_line(message: str, code: int = 2) -> int:
    with contextlib.suppress(Exception):
        sys.stderr.write(f"error: {one_line(message)}\n")
    return code
