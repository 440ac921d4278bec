"""``quyche``: the command line for clerks and for scripts.

Human output is a table with Vietnamese names as the text writes them; ``--json`` gives the
documented contract. Bad input exits with status 2 and one line that names the field: a
clerk must never be shown a traceback.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.table import Table

from .cli_serve import keys_app, serve_app
from .errors import QuycheError
from .yamlio import parse_yaml

app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__)
rules_app = typer.Typer(no_args_is_help=True, help="Inspect the rulebook.")
schema_app = typer.Typer(no_args_is_help=True, help="Machine-readable schemas.")
app.add_typer(rules_app, name="rules")
app.add_typer(schema_app, name="schema")
app.add_typer(serve_app, name="serve")
app.add_typer(keys_app, name="keys")
# a pipe or a file gets room for Vietnamese names; a terminal keeps its own width
out = Console(soft_wrap=False, width=None if sys.stdout.isatty() else 140)
BACKENDS = ("auto", "durable", "python")


def _fail(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)


def _engine(backend: str) -> Any:
    from .engine import Engine

    if backend not in BACKENDS:
        _fail(f"--backend: must be one of {', '.join(BACKENDS)}")
    return Engine(backend=backend)  # type: ignore[arg-type]


def _read_event(path: str) -> Any:
    name = "<stdin>" if path == "-" else path
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        _fail(f"{name}: cannot read ({exc.strerror})")
    except UnicodeDecodeError:
        _fail(f"{name}: not UTF-8")
    return parse_yaml(text, file=name)  # YAML is a superset of JSON


def _dump(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def _due_cell(o: Any) -> str:
    if o.due is None:
        return "—" if o.due_computation is None else "(ngày nhận chưa rõ)"
    return str(o.due.isoformat()) + (" (tạm tính)" if o.due_provisional else "")


@app.command()
def notify(
    event_files: Annotated[list[str], typer.Argument(help="YAML or JSON event files; - for stdin")],
    as_json: Annotated[bool, typer.Option("--json", help="print obligations as JSON")] = False,
    backend: Annotated[str, typer.Option(help="auto | durable | python")] = "auto",
) -> None:
    """Who must notify, consult, invite or report to whom when EVENT happens."""
    try:
        engine = _engine(backend)
        results = []
        for path in event_files:
            data = _read_event(path)
            try:
                results.append((path, engine.who_must_be_notified(data)))
            except QuycheError as exc:
                _fail(f"{path}: {exc}")
    except QuycheError as exc:
        _fail(str(exc))
    if as_json:
        payload = [
            {"event_file": p, "obligations": [o.model_dump(mode="json") for o in obs]}
            for p, obs in results
        ]
        _dump(payload[0]["obligations"] if len(payload) == 1 else payload)
        return
    for path, obs in results:
        table = Table(title=f"{path}: {len(obs)} nghĩa vụ", show_lines=True, title_justify="left")
        for col in ("Căn cứ", "Cơ quan có trách nhiệm", "Nghĩa vụ", "Đối với", "Hạn"):
            table.add_column(col, overflow="fold")
        for o in obs:
            table.add_row(
                o.basis.label,
                o.obligated.name_vi,
                f"{o.duty_vi}\n[dim]{o.rule_id}[/dim]",
                "\n".join(c.name_vi for c in o.counterparties),
                _due_cell(o),
            )
        out.print(table)


@app.command()
def duties(
    party: Annotated[str, typer.Argument(help="party id or name (diacritics optional)")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Every rule that binds PARTY: standing, periodic and event-triggered duties."""
    engine = _engine("python")
    try:
        p = engine.rulebook.parties.resolve(party)
    except KeyError:
        _fail(f"party: unknown party {party!r} (see rules/parties.yaml)")
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
                    "triggers": _trigger_labels(e.rule),
                    "summary_en": e.rule.summary_en,
                }
                for e in entries
            ]
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
            "\n".join(_trigger_labels(e.rule)),
            e.binds_as,
        )
    out.print(table)


def _trigger_labels(rule: Any) -> list[str]:
    from .conditions import describe
    from .vocabulary import PERIODS

    labels = []
    for t in rule.event_triggers:
        if t.period is not None:
            labels.append(f"period: {t.period.value} ({PERIODS[t.period][0]})")
        else:
            cond = f" [{describe(t.condition)}]" if t.condition is not None else ""
            labels.append(f"event: {t.event_type}{cond}")
    if rule.standing:
        labels.append("standing")
    return labels


@app.command()
def deadline(
    received: Annotated[str, typer.Argument(help="date of receipt, YYYY-MM-DD")],
    n: Annotated[int, typer.Argument(help="working days")] = 7,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    ics: Annotated[Path | None, typer.Option(help="write an iCalendar event to this file")] = None,
) -> None:
    """The due date N working days after RECEIVED (Art. 3.1 gives 7)."""
    from .calendar import WorkingCalendar

    try:
        day = dt.date.fromisoformat(received)
    except ValueError:
        _fail(f"RECEIVED: {received!r} is not an ISO date (YYYY-MM-DD)")
    try:
        d = WorkingCalendar().deadline(day, n)
    except QuycheError as exc:
        _fail(str(exc))
    if ics is not None:
        ics.write_bytes(
            WorkingCalendar.to_ics(
                d,
                f"Hạn trả lời văn bản ({n} ngày làm việc)",
                f"Nhận ngày {d.received.isoformat()}; Điều 3.1 Quy chế phối hợp.",
            )
        )
    if as_json:
        _dump(
            {
                "received": d.received.isoformat(),
                "working_days": d.working_days,
                "due": d.due.isoformat(),
                "provisional": d.provisional,
            }
        )
    else:
        note = f" (tạm tính: {', '.join(map(str, d.provisional_years))})" if d.provisional else ""
        typer.echo(d.due.isoformat() + note)


@rules_app.command("coverage")
def rules_coverage() -> None:
    """Every unit of the text, and the rules (or the reason for none) that encode it."""
    from .rulebook import load_rulebook

    try:
        book = load_rulebook()
    except QuycheError as exc:
        _fail(str(exc))
    missing = 0
    for article in sorted(book.regulation.titles):
        out.print(f"[bold]Điều {article}. {book.regulation.titles[article]}[/bold]")
        for basis in [b for b in book.regulation.units if b.article == article]:
            rules = book.rules_for(basis)
            na = book.non_actionable.get(basis)
            if rules:
                status = ", ".join(r.id for r in rules)
            elif na is not None:
                status = f"[dim]không áp dụng: {na.reason}[/dim]"
            else:
                status, missing = "[red]CHƯA MÃ HÓA[/red]", missing + 1
            out.print(f"  {basis}: {status}")
    out.print(f"{len(book.rules)} rules; {missing} unit(s) not accounted for")
    if missing:
        raise typer.Exit(1)


@rules_app.command("show")
def rules_show(rule_id: str) -> None:
    """One rule with its quote, trigger and parties."""
    from .rulebook import load_rulebook

    book = load_rulebook()
    rule = book.rules.get(rule_id)
    if rule is None:
        _fail(f"rule: unknown rule id {rule_id!r}")
    out.print(f"[bold]{rule.id}[/bold]  ({rule.basis}, {rule.file})")
    out.print(f"„{rule.quote}“")
    out.print(f"obligated: {rule.obligated}; counterparties: {', '.join(rule.counterparties)}")
    out.print(f"duty: {rule.duty.value}; form: {rule.form.value}")
    for label in _trigger_labels(rule):
        out.print(f"trigger: {label}")
    if rule.deadline is not None:
        out.print(f"deadline: {rule.deadline.id} ({rule.deadline.working_days} working days)")
    out.print(f"summary: {rule.summary_en}")
    if rule.note:
        out.print(f"note: {rule.note}")


@schema_app.command("events")
def schema_events() -> None:
    """JSON Schema of every event type (a discriminated union on ``type``)."""
    from .events import events_json_schema

    _dump(events_json_schema())


def main() -> None:
    app()
