"""``quyche notify``: who must notify, consult, invite or report to whom for each event."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from quyche_rules.cli.common import (
    BACKENDS,
    IndentOpt,
    MaxBytes,
    ProfileOpt,
    dump,
    engine_for,
    fail,
    limits_for,
    out,
    read_event_arg,
)
from quyche_rules.errors import QuycheError
from quyche_rules.i18n import _, format_date, language
from quyche_rules.io.jsonin import flat_json_event
from quyche_rules.io.yamlio import (
    Limits,
    event_error,
    parse_yaml,
)


def _due_cell(o: Any) -> str:
    """The due date as people read it, with what silence means when the text says it."""
    if o.due is None:
        cell = "—" if o.due_computation is None else _("(date received not given)")
    else:
        cell = format_date(o.due) + (" " + _("(provisional)") if o.due_provisional else "")
    if o.silence_means == "consent":
        cell += "\n" + _("no answer by the due date counts as consent")
    return cell


def _name(p: Any) -> str:
    """A body's official name, as the text writes it (in English output too)."""
    return str(p.name_vi)


def _parties_cell(o: Any) -> str:
    """The counterparties; a class the event did not narrow is said to be one, since the
    clerk must still choose which member is meant."""
    cell = "\n".join(escape(_name(c)) for c in o.counterparties)
    if o.unresolved_class:
        cell += (
            "\n[yellow]" + escape(_("a class still to be narrowed: name the body")) + "[/yellow]"
        )
    return cell


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
    limits = limits_for(max_bytes)
    if backend not in BACKENDS:
        fail(f"--backend: must be one of {', '.join(BACKENDS)}")
    if jsonl:
        _notify_jsonl(engine_for(backend, profile), event_files or ["-"], limits)
        return
    if not event_files:
        fail(_("EVENT_FILES: give at least one event file, or - for stdin"))
    results = []
    engine = None  # built after the first event is read: bad input is refused at once
    for path in event_files:
        try:
            data = read_event_arg(path, limits)
            engine = engine or engine_for(backend, profile)
            results.append((path, engine.who_must_be_notified(data)))
        except QuycheError as exc:
            text, name = str(exc), "<stdin>" if path == "-" else path
            fail(text if text.startswith(name + ":") else f"{name}: {text}")
    if as_json:
        dump(
            [{"event_file": p, **o.model_dump(mode="json")} for p, obs in results for o in obs],
            indent,
        )
        return
    for path, obs in results:
        title = _("{path}: {count} obligations", path=escape(path), count=len(obs))
        table = Table(title=title, show_lines=True, title_justify="left")
        for col in (_("Basis"), _("Body responsible"), _("Duty"), _("Towards"), _("Due")):
            table.add_column(col, overflow="fold")
        for o in obs:
            duty = o.duty_vi if language() == "vi" else o.duty.value.replace("_", " ")
            table.add_row(
                o.basis.label,
                escape(_name(o.obligated)),
                f"{escape(duty)}\n[dim]{o.rule_id}[/dim]",
                _parties_cell(o),
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
