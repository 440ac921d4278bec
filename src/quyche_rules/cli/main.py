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

from quyche_rules.cli.audit import audit_app
from quyche_rules.cli.common import RETRYABLE, ProfileOpt, options, rulebook
from quyche_rules.cli.deadline import deadline
from quyche_rules.cli.decisions import decisions_app
from quyche_rules.cli.deliver import deliver_app
from quyche_rules.cli.duties import duties
from quyche_rules.cli.keys import keys_app
from quyche_rules.cli.notify import notify
from quyche_rules.cli.profiles import profiles_app
from quyche_rules.cli.render import render_app
from quyche_rules.cli.rules import rules_app
from quyche_rules.cli.scenarios import test_app
from quyche_rules.cli.schema import schema_app
from quyche_rules.cli.serve import serve_app
from quyche_rules.cli.track import track_app
from quyche_rules.cli.whynot import why_not
from quyche_rules.errors import QuycheError, missing_extra, one_line
from quyche_rules.i18n import _, from_env, language, set_language

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
app.add_typer(profiles_app, name="profiles")
app.add_typer(deliver_app, name="deliver")
app.add_typer(decisions_app, name="decisions")
app.add_typer(audit_app, name="audit")
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
        typer.Option(
            "--version", help="print the version, the rulebook's content hash and the engine in use"
        ),
    ] = False,
    profile: ProfileOpt = None,
    lang: Annotated[
        str | None,
        typer.Option("--lang", help="vi | en: language of the output (default: $QUYCHE_LANG, vi)"),
    ] = None,
) -> None:
    """Who must notify, consult, invite or inform whom under the Quy chế phối hợp."""
    if lang is not None and lang.strip().lower() not in ("vi", "en"):
        raise typer.BadParameter("must be vi or en", param_hint="--lang")
    before = language()
    from_env(lang)
    ctx.call_on_close(lambda: set_language(before))  # the library keeps its own default
    options["rules_dir"] = rules_dir
    options["profile"] = profile
    if version:
        from quyche_rules import __version__

        book = rulebook()
        typer.echo(
            f"quyche-rules {__version__} rulebook sha256:{book.content_hash} ({book.directory})"
        )
        # which matcher answers `auto` here, and why: the fallback must never be silent
        from quyche_rules.engine.engine import choose_backend

        use = choose_backend("auto")
        typer.echo(f"bộ máy / engine: {use.name} — {use.reason_vi} / {use.reason}")
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
    before = language()
    from_env(_lang_arg(argv if argv is not None else sys.argv[1:]))  # for errors before --lang
    try:
        rv = app(args=argv, standalone_mode=False)
        code = rv if isinstance(rv, int) else 0
    except QuycheError as exc:  # a database down or a missing extra: a retry may fix it
        code = _last_line(str(exc), 1 if exc.code in RETRYABLE else 2)
    except ModuleNotFoundError as exc:  # an extra this command needs is not installed
        err = missing_extra(exc)
        name = exc.name or str(exc)
        code = _last_line(
            str(err) if err else f"missing dependency {name}: reinstall quyche-rules", 1
        )
    except KeyboardInterrupt:
        code = 130
    except BrokenPipeError:
        code = 1
    except MemoryError:
        code = _last_line(_("out of memory"))
    except Exception as exc:
        if type(exc).__name__ == "NoArgsIsHelpError":  # no arguments: show the help
            typer.echo(getattr(exc, "format_message", str)(), err=True)
            code = 2
        elif hasattr(exc, "format_message") and hasattr(exc, "exit_code"):  # usage errors
            code = _last_line(_("usage: {message}", message=exc.format_message()))
        elif _unreachable(exc):
            code = _last_line(f"database: {str(exc).splitlines()[0] if str(exc) else exc}", 1)
        else:
            code = _last_line(
                _("internal error ({kind}): {message}", kind=type(exc).__name__, message=exc)
            )
    set_language(before)
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        code = code or 1
        sys.stdout = None  # do not complain again at exit
    raise SystemExit(code)


def _lang_arg(argv: list[str]) -> str | None:
    """``--lang`` as given on the command line, read before the parser runs so that a
    usage error is already in the chosen language."""
    for i, arg in enumerate(argv):
        if arg == "--lang" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--lang="):
            return arg.partition("=")[2]
    return None


def _unreachable(exc: Exception) -> bool:
    """Is ``exc`` the database being unavailable (``db.unavailable``, the one definition
    the service shares)? Imported only for SQLAlchemy's errors: the CLI does not import
    SQLAlchemy unless a command opened a database."""
    if not type(exc).__module__.startswith("sqlalchemy"):
        return False
    from quyche_rules.db.unavailable import is_unavailable

    return is_unavailable(exc)


def _last_line(message: str, code: int = 2) -> int:
    with contextlib.suppress(Exception):
        sys.stderr.write(_("error: {message}", message=one_line(message)) + "\n")
    return code
