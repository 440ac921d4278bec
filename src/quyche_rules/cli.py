"""``quyche``: the command line for clerks and for scripts.

Human output is a table with Vietnamese names as the text writes them; ``--json`` gives the
documented contract. Bad input exits with status 2 and one line that names the place: a
clerk must never be shown a traceback, whatever the input (``main`` is the last resort).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import json
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from .cli_common import fail as _fail
from .cli_render import render_app
from .cli_serve import keys_app, serve_app
from .cli_test import test_app
from .cli_track import track_app
from .errors import QuycheError, excerpt, one_line
from .jsonin import flat_json_event
from .yamlio import (
    ENV_MAX_EVENT_BYTES,
    Limits,
    event_error,
    event_limits,
    parse_yaml,
    read_event,
)

app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__)
rules_app = typer.Typer(no_args_is_help=True, help="Inspect the rulebook.")
schema_app = typer.Typer(no_args_is_help=True, help="Machine-readable schemas.")
app.add_typer(rules_app, name="rules")
app.add_typer(schema_app, name="schema")
app.add_typer(test_app)  # `quyche test`: scenario files (cli_test.py)
app.add_typer(render_app, name="render")
app.add_typer(track_app, name="track")
app.add_typer(serve_app, name="serve")
app.add_typer(keys_app, name="keys")
# a pipe or a file gets room for Vietnamese names; a terminal keeps its own width
out = Console(soft_wrap=False, width=None if sys.stdout.isatty() else 140)
BACKENDS = ("auto", "durable", "python")
_options: dict[str, Any] = {"rules_dir": None, "profile": None}
ProfileOpt = Annotated[
    Path | None,
    typer.Option(
        "--profile",
        help="a deployment profile (a province's concrete bodies); default: $QUYCHE_PROFILE",
    ),
]


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
    _options["rules_dir"] = rules_dir
    _options["profile"] = profile
    if version:
        from . import __version__

        book = _rulebook()
        typer.echo(
            f"quyche-rules {__version__} rulebook sha256:{book.content_hash} ({book.directory})"
        )
        raise typer.Exit(0)
    if ctx.invoked_subcommand is None:
        typer.echo(ctx.get_help())
        raise typer.Exit(2)


def _rulebook(*, require_complete: bool = True) -> Any:
    from .rulebook import load_rulebook

    try:
        return load_rulebook(_options["rules_dir"], require_complete=require_complete)
    except QuycheError as exc:
        _fail(str(exc))


def _profile_path(option: Path | None = None) -> Path | None:
    """The profile in force: the command's ``--profile``, else the global one, else
    ``$QUYCHE_PROFILE`` (empty means none)."""
    from .profiles import PROFILE_ENV

    chosen = option or _options["profile"] or os.environ.get(PROFILE_ENV, "").strip() or None
    return Path(chosen).resolve() if chosen is not None else None


def _engine(backend: str, profile: Path | None = None) -> Any:
    from . import resources

    if backend not in BACKENDS:
        _fail(f"--backend: must be one of {', '.join(BACKENDS)}")
    try:
        return _cached_engine(
            resources.rules_dir(_options["rules_dir"]), backend, _profile_path(profile)
        )
    except QuycheError as exc:
        _fail(str(exc))


@functools.lru_cache(maxsize=4)
def _cached_engine(rules_dir: Path, backend: str, profile: Path | None) -> Any:
    """One engine per (directory, backend, profile) per process: a process calling ``main``
    many times (tests, an embedding tool) does not reload the rulebook each time."""
    from .engine import Engine

    return Engine(rules_dir=rules_dir, backend=backend, profile=profile)  # type: ignore[arg-type]


def _limits(max_bytes: int | None) -> Limits:
    try:
        return event_limits(max_bytes)
    except QuycheError as exc:
        _fail(str(exc))


def _read_event(path: str, limits: Limits) -> Any:
    """One event from a file or ``-`` (stdin, read as bytes: the encoding is checked, not
    guessed)."""
    if path == "-":
        return read_event(sys.stdin.buffer, file="<stdin>", limits=limits)
    return read_event(Path(path), file=path, limits=limits)


def _dump(data: Any, indent: int | None = None) -> None:
    """JSON out: compact for machines (issue 10: indenting cost more than answering), or
    indented by ``--indent N`` for people; the same JSON either way, only whitespace."""
    if indent is not None and not 0 <= indent <= 16:
        _fail(f"--indent: must be between 0 and 16, got {indent}")
    seps = (",", ":") if indent is None else None
    typer.echo(json.dumps(data, ensure_ascii=False, indent=indent, separators=seps, default=str))


IndentOpt = Annotated[
    int | None,
    typer.Option("--indent", help="indent --json output by N spaces (default: compact)"),
]


def _due_cell(o: Any) -> str:
    if o.due is None:
        return "—" if o.due_computation is None else "(ngày nhận chưa rõ)"
    return str(o.due.isoformat()) + (" (tạm tính)" if o.due_provisional else "")


MaxBytes = Annotated[
    int | None,
    typer.Option(
        "--max-bytes",
        help=f"largest event accepted, in bytes (default 1 MiB, or ${ENV_MAX_EVENT_BYTES})",
    ),
]


@app.command()
def notify(
    event_files: Annotated[
        list[str] | None, typer.Argument(help="YAML or JSON event files; - for stdin")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print obligations as JSON")] = False,
    jsonl: Annotated[
        bool,
        typer.Option(
            "--jsonl",
            help="JSON Lines in (stdin or files), one compact JSON line out per event",
        ),
    ] = False,
    backend: Annotated[str, typer.Option(help="auto | durable | python")] = "auto",
    max_bytes: MaxBytes = None,
    profile: ProfileOpt = None,
    indent: IndentOpt = None,
) -> None:
    """Who must notify, consult, invite or report to whom when EVENT happens.

    ``--json`` prints one array of obligations for any number of files, each obligation
    naming its ``event_file`` (schema: ``quyche schema obligations``).
    """
    limits = _limits(max_bytes)
    if backend not in BACKENDS:
        _fail(f"--backend: must be one of {', '.join(BACKENDS)}")
    if jsonl:
        _notify_jsonl(_engine(backend, profile), event_files or ["-"], limits)
        return
    if not event_files:
        _fail("EVENT_FILES: give at least one event file, or - for stdin")
    results = []
    engine = None  # built after the first event is read: bad input is refused at once
    for path in event_files:
        try:
            data = _read_event(path, limits)
            engine = engine or _engine(backend, profile)
            results.append((path, engine.who_must_be_notified(data)))
        except QuycheError as exc:
            text, name = str(exc), "<stdin>" if path == "-" else path
            _fail(text if text.startswith(name + ":") else f"{name}: {text}")
    if as_json:
        _dump(
            [{"event_file": p, **o.model_dump(mode="json")} for p, obs in results for o in obs],
            indent,
        )
        return
    for path, obs in results:
        table = Table(
            title=f"{escape(path)}: {len(obs)} nghĩa vụ", show_lines=True, title_justify="left"
        )
        for col in ("Căn cứ", "Cơ quan có trách nhiệm", "Nghĩa vụ", "Đối với", "Hạn"):
            table.add_column(col, overflow="fold")
        for o in obs:
            table.add_row(
                o.basis.label,
                escape(o.obligated.name_vi),
                f"{o.duty_vi}\n[dim]{o.rule_id}[/dim]",
                "\n".join(escape(c.name_vi) for c in o.counterparties),
                _due_cell(o),
            )
        out.print(table)


def _lines(path: str, limits: Limits) -> Iterator[tuple[str, bytes | QuycheError]]:
    """(place, line bytes or the error for that line) of a JSON Lines source; a line
    longer than the limit is skipped to its end, never held whole in memory."""
    name = "<stdin>" if path == "-" else path
    try:
        fh: IO[bytes] = sys.stdin.buffer if path == "-" else Path(path).open("rb")  # noqa: SIM115
    except OSError as exc:
        yield name, event_error(f"cannot read ({exc.strerror})", name, None)
        return
    try:
        number = 0
        while True:
            line = fh.readline(limits.max_bytes + 1)
            if not line:
                return
            number += 1
            place = f"{name}:{number}"
            if len(line) > limits.max_bytes and not line.endswith(b"\n"):
                while line and not line.endswith(b"\n"):  # drain the rest of the line
                    line = fh.readline(limits.max_bytes + 1)
                yield place, event_error(f"line larger than {limits.max_bytes} bytes", place, None)
                continue
            if line.strip():
                yield place, line
    finally:
        if fh is not sys.stdin.buffer:
            fh.close()


def _notify_jsonl(engine: Any, paths: list[str], limits: Limits) -> None:
    """Streaming: one compact JSON object per input line, flushed at once, so a system
    pays one process start for a day's events. A bad line is answered by an object with
    ``error`` and the stream goes on; the exit status is 2 if any line failed."""
    failed = False
    for path in paths:
        for place, item in _lines(path, limits):
            record: dict[str, Any] = {"event": place}
            try:
                if isinstance(item, QuycheError):
                    raise item
                data = flat_json_event(item, limits)
                if data is None:  # not a flat JSON event: the YAML reader says why, or reads it
                    data = parse_yaml(item, file=place, limits=limits, error=event_error)
                obs = engine.who_must_be_notified(data)
                record["obligations"] = [o.model_dump(mode="json") for o in obs]
            except QuycheError as exc:
                failed = True
                text = str(exc)
                record["error"] = text if text.startswith(place) else f"{place}: {text}"
            line = json.dumps(record, ensure_ascii=False, separators=(",", ":"), default=str)
            sys.stdout.write(line + "\n")
            sys.stdout.flush()
    if failed:
        raise typer.Exit(2)


@app.command()
def duties(
    party: Annotated[str, typer.Argument(help="party id or name (diacritics optional)")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
    profile: ProfileOpt = None,
    indent: IndentOpt = None,
) -> None:
    """Every rule that binds PARTY: standing, periodic and event-triggered duties."""
    engine = _engine("python", profile)
    try:
        p = engine.parties.resolve(party)
    except KeyError:
        _fail(f"party: unknown party {excerpt(party)} (see rules/parties.yaml and the profile)")
    entries = engine.duties_of(p.id)
    if as_json:
        _dump(
            [
                {
                    "rule_id": e.rule.id,
                    "basis": str(e.rule.basis),
                    "binds_as": e.binds_as,
                    "duty": e.rule.duty.value,
                    "counterparties": list(e.rule.counterparties),
                    "triggers": e.rule.trigger_labels(),
                    "summary_en": e.rule.summary_en,
                }
                for e in entries
            ],
            indent,
        )
        return
    table = Table(title=f"{p.name_vi} ({p.id}): {len(entries)} quy tắc", title_justify="left")
    for col in ("Căn cứ", "Quy tắc", "Nghĩa vụ", "Khi nào", "Ràng buộc"):
        table.add_column(col, overflow="fold")
    for e in entries:
        table.add_row(
            str(e.rule.basis),
            e.rule.id,
            e.rule.duty.value,
            "\n".join(e.rule.trigger_labels()),
            e.binds_as,
        )
    out.print(table)


@app.command()
def deadline(
    received: Annotated[str, typer.Argument(help="date of receipt, YYYY-MM-DD")],
    n: Annotated[int, typer.Argument(help="working days")] = 7,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    ics: Annotated[Path | None, typer.Option(help="write an iCalendar event to this file")] = None,
    document: Annotated[
        str | None,
        typer.Option(
            help="the document's number or id: keeps same-day receipts apart in --ics and "
            "makes a re-export (e.g. a corrected due date) update the same calendar event",
        ),
    ] = None,
    indent: IndentOpt = None,
) -> None:
    """The due date N working days after RECEIVED (Art. 3.1 gives 7)."""
    from .calendar import WorkingCalendar

    try:
        day = dt.date.fromisoformat(received)
    except ValueError:
        _fail(f"RECEIVED: {received!r} is not an ISO date (YYYY-MM-DD)")
    try:
        cal_path = None
        if _options["rules_dir"] is not None:
            from . import resources

            cal_path = resources.rules_file(resources.CALENDAR, _options["rules_dir"])
        d = WorkingCalendar(cal_path).deadline(day, n)
    except QuycheError as exc:
        _fail(str(exc))
    if ics is not None:
        what = f" {document}" if document else ""
        payload = WorkingCalendar.to_ics(
            d,
            f"Hạn trả lời văn bản{what} ({n} ngày làm việc)",
            f"Nhận ngày {d.received.isoformat()}; Điều 3.1 Quy chế phối hợp.",
            uid_key="\x1f".join((document or "", d.received.isoformat(), str(n))),
        )
        _write_atomically(ics, payload)
    if as_json:
        _dump(
            {
                "received": d.received.isoformat(),
                "working_days": d.working_days,
                "due": d.due.isoformat(),
                "provisional": d.provisional,
            },
            indent,
        )
    else:
        note = f" (tạm tính: {', '.join(map(str, d.provisional_years))})" if d.provisional else ""
        typer.echo(d.due.isoformat() + note)


def _write_atomically(path: Path, data: bytes) -> None:
    """Write ``path`` whole or not at all (a temporary file in the same directory, then
    ``os.replace``), never through a symlink: a planted link must not make the tool
    overwrite its target."""
    if path.is_symlink():
        _fail(f"--ics: {path}: is a symbolic link; refusing to write through it")
    if path.is_dir():
        _fail(f"--ics: {path}: is a directory")
    directory = path.parent
    try:
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        _fail(f"--ics: {path}: cannot write ({exc.strerror})")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        _fail(f"--ics: {path}: cannot write ({exc.strerror})")


@rules_app.command("coverage")
def rules_coverage() -> None:
    """Every unit of the text, and the rules (or the reason for none) that encode it."""
    book = _rulebook(require_complete=False)
    missing = 0
    for article in sorted(book.regulation.titles):
        out.print(f"[bold]Điều {article}. {escape(book.regulation.titles[article])}[/bold]")
        for basis in [b for b in book.regulation.units if b.article == article]:
            rules = book.rules_for(basis)
            na = book.non_actionable.get(basis)
            if rules:
                status = ", ".join(r.id for r in rules)
            elif na is not None:
                status = f"[dim]không áp dụng: {escape(na.reason)}[/dim]"
            else:
                status, missing = "[red]CHƯA MÃ HÓA[/red]", missing + 1
            out.print(f"  {basis}: {status}")
    out.print(f"{len(book.rules)} rules; {missing} unit(s) not accounted for")
    if missing:
        raise typer.Exit(1)


@rules_app.command("show")
def rules_show(rule_id: str) -> None:
    """One rule with its quote, trigger and parties."""
    book = _rulebook()
    rule = book.rules.get(rule_id)
    if rule is None:
        _fail(f"rule: unknown rule id {rule_id!r}")
    out.print(f"[bold]{rule.id}[/bold]  ({rule.basis}, {escape(rule.file)})")
    out.print(f"„{escape(rule.quote)}“")
    out.print(f"obligated: {rule.obligated}; counterparties: {', '.join(rule.counterparties)}")
    out.print(f"duty: {rule.duty.value}; form: {rule.form.value}")
    for label in rule.trigger_labels():
        out.print(f"trigger: {escape(label)}")
    if rule.deadline is not None:
        out.print(f"deadline: {rule.deadline.id} ({rule.deadline.working_days} working days)")
    out.print(f"summary: {escape(rule.summary_en)}")
    if rule.note:
        out.print(f"note: {escape(rule.note)}")


@schema_app.command("events")
def schema_events() -> None:
    """JSON Schema of every event type (a discriminated union on ``type``)."""
    from .schemas import events_schema

    _dump(events_schema(), indent=2)


@schema_app.command("obligations")
def schema_obligations() -> None:
    """JSON Schema of ``quyche notify --json`` (an array of obligations)."""
    from .schemas import obligations_schema

    _dump(obligations_schema(), indent=2)


def main(argv: list[str] | None = None) -> None:
    """Entry point: whatever happens, one line on stderr, never a traceback.

    Exit status: 0 success, 1 ``rules coverage`` found gaps, 2 bad input or usage (one
    line), 130 interrupted. An unexpected exception is reported as ``internal error`` with
    its type, still on one line, with status 2.
    """
    code: int
    try:
        rv = app(args=argv, standalone_mode=False)
        code = rv if isinstance(rv, int) else 0
    except QuycheError as exc:
        code = _last_line(str(exc))
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
        else:
            code = _last_line(f"internal error ({type(exc).__name__}): {exc}")
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        code = code or 1
        sys.stdout = None  # do not complain again at exit
    raise SystemExit(code)


def _last_line(message: str) -> int:
    with contextlib.suppress(Exception):
        sys.stderr.write(f"error: {one_line(message)}\n")
    return 2
