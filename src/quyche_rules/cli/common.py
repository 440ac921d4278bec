"""What every command shares: the one-line refusal, the global options (``--rules-dir``,
``--profile``), the engine factory, the bounded event reader and JSON output.

Command modules import from here, never from ``cli.main``: the app imports the commands,
not the other way round.
"""

from __future__ import annotations

import functools
import json
import os
import sys
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console

from quyche_rules.errors import QuycheError, one_line
from quyche_rules.i18n import _
from quyche_rules.io.yamlio import (
    ENV_MAX_EVENT_BYTES,
    Limits,
    event_limits,
    read_event,
)

out = Console(soft_wrap=False, width=None if sys.stdout.isatty() else 140)
BACKENDS = ("auto", "durable", "python")
options: dict[str, Any] = {"rules_dir": None, "profile": None}
ProfileOpt = Annotated[
    Path | None,
    typer.Option(
        "--profile",
        help="a deployment profile: a packaged name (quyche profiles list) or a file; "
        "default: $QUYCHE_PROFILE",
    ),
]


def rulebook(*, require_complete: bool = True) -> Any:
    from quyche_rules.rulebook.loader import load_rulebook

    try:
        return load_rulebook(options["rules_dir"], require_complete=require_complete)
    except QuycheError as exc:
        fail(str(exc))


def profile_path(option: Path | None = None) -> Path | None:
    """The profile in force: the command's ``--profile``, else the global one, else
    ``$QUYCHE_PROFILE`` (empty means none)."""
    from quyche_rules.model.profiles import PROFILE_ENV

    chosen = option or options["profile"] or os.environ.get(PROFILE_ENV, "").strip() or None
    # as given: a packaged profile's name stays a name, and an error shows the path typed
    return Path(chosen) if chosen is not None else None


def engine_for(backend: str, profile: Path | None = None) -> Any:
    from quyche_rules.io import resources

    if backend not in BACKENDS:
        fail(f"--backend: must be one of {', '.join(BACKENDS)}")
    try:
        return cached_engine(
            resources.rules_dir(options["rules_dir"]), backend, profile_path(profile)
        )
    except QuycheError as exc:
        fail(str(exc))


@functools.lru_cache(maxsize=4)
def cached_engine(rules_dir: Path, backend: str, profile: Path | None) -> Any:
    """One engine per (directory, backend, profile) per process: a process calling ``main``
    many times (tests, an embedding tool) does not reload the rulebook each time."""
    from quyche_rules.engine.engine import Engine

    return Engine(rules_dir=rules_dir, backend=backend, profile=profile)  # type: ignore[arg-type]


def limits_for(max_bytes: int | None) -> Limits:
    try:
        return event_limits(max_bytes)
    except QuycheError as exc:
        fail(str(exc))


def read_event_arg(path: str, limits: Limits) -> Any:
    """One event from a file or ``-`` (stdin, read as bytes: the encoding is checked, not
    guessed)."""
    if path == "-":
        return read_event(sys.stdin.buffer, file="<stdin>", limits=limits)
    return read_event(Path(path), file=path, limits=limits)


def dump(data: Any, indent: int | None = None) -> None:
    """JSON out: compact for machines (issue 10: indenting cost more than answering), or
    indented by ``--indent N`` for people; the same JSON either way, only whitespace."""
    if indent is not None and not 0 <= indent <= 16:
        fail(f"--indent: must be between 0 and 16, got {indent}")
    seps = (",", ":") if indent is None else None
    typer.echo(json.dumps(data, ensure_ascii=False, indent=indent, separators=seps, default=str))


IndentOpt = Annotated[
    int | None,
    typer.Option("--indent", help="indent --json output by N spaces (default: compact)"),
]


MaxBytes = Annotated[
    int | None,
    typer.Option(
        "--max-bytes",
        help=f"largest event accepted, in bytes (default 1 MiB, or ${ENV_MAX_EVENT_BYTES})",
    ),
]


#: exit statuses (``quyche --help``): a script tells "fix your input" from "try again later"
EXIT_OK, EXIT_RETRY, EXIT_INPUT = 0, 1, 2
#: ``QuycheError.code``s of failures a retry may fix (after installing, for a dependency)
RETRYABLE = frozenset({"database_unavailable", "missing_dependency", "missing_extra"})


def fail(message: str, *, retry: bool = False) -> NoReturn:
    """Print ``error: <message>`` as one line on stderr and exit with status 2 (bad input
    or usage), or 1 with ``retry`` (a failure a retry may fix: database unreachable)."""
    typer.echo(_("error: {message}", message=one_line(message)), err=True)
    raise typer.Exit(EXIT_RETRY if retry else EXIT_INPUT)
