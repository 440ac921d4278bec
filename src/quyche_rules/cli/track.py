"""``quyche track``: record coordination events and ask what is owed, as of any date.

The database is ``--db`` (a SQLite file path or a ``postgresql://`` URL), else
``$QUYCHE_DB``, else ``tracker.db`` in the per-user data directory
(``~/.local/share/quyche-rules/`` on Linux). Bad input exits with status 2 and one line
naming the place; nothing is recorded then.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text as RichText

from quyche_rules.cli.common import fail
from quyche_rules.errors import QuycheError
from quyche_rules.io.yamlio import parse_yaml

track_app = typer.Typer(no_args_is_help=True, help=__doc__)
_out = Console(soft_wrap=False, width=None if sys.stdout.isatty() else 140)

DbOption = Annotated[
    str | None,
    typer.Option("--db", help="SQLite file or postgresql:// URL (default: $QUYCHE_DB)"),
]
AsOfOption = Annotated[
    str | None, typer.Option("--as-of", help="date YYYY-MM-DD (default: today in Vietnam)")
]


#: What never reaches a terminal raw: controls (ESC starts a sequence that can rewrite the
#: screen, BEL, CR, LF...), line separators, bidi overrides and lone surrogates. New
#: events cannot carry them (``model.field_types.Text``); records written before that
#: rule, or read from another database, still could.
_UNSAFE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)


def safe(text: str) -> str:
    """``text`` as the other body wrote it, with every character of ``_UNSAFE`` shown as
    its escape (``\\x1b``, ``\\u202e``): the clerk sees it, the terminal never obeys it."""

    def esc(m: re.Match[str]) -> str:
        code = ord(m.group())
        return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"

    return _UNSAFE.sub(esc, text)


def _cell(text: str) -> RichText:
    """A table cell that rich prints as it is: no markup (``[link=...]`` would emit an
    OSC 8 escape), no unsafe characters."""
    return RichText(safe(text))


def _date(value: str | None, place: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        fail(f"{place}: {value!r} is not an ISO date (YYYY-MM-DD)")


@contextmanager
def _tracker(db: str | None) -> Iterator[Any]:
    """Open the tracker; every error the library or the database raises becomes one line."""
    from sqlalchemy.exc import SQLAlchemyError

    from quyche_rules.tracker import Tracker

    def first_line(exc: Exception) -> str:
        return str(getattr(exc, "orig", None) or exc).splitlines()[0]

    from quyche_rules.cli.common import engine_for  # --rules-dir, --profile

    try:
        t = Tracker(db, engine=engine_for("auto"))
    except QuycheError as exc:
        fail(str(exc))
    except SQLAlchemyError as exc:
        fail(f"--db: cannot open the database: {first_line(exc)}")
    try:
        yield t
    except QuycheError as exc:
        fail(str(exc))
    except SQLAlchemyError as exc:
        fail(f"--db: {first_line(exc)}")
    finally:
        t.close()


def _read(path: str) -> Any:
    name = "<stdin>" if path == "-" else path
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        fail(f"{name}: cannot read ({exc.strerror})")
    except UnicodeDecodeError:
        fail(f"{name}: not UTF-8")
    try:
        return parse_yaml(text, file=name)
    except QuycheError as exc:
        fail(str(exc))


@track_app.command()
def record(
    event_file: Annotated[str, typer.Argument(help="YAML or JSON event file; - for stdin")],
    db: DbOption = None,
    as_party: Annotated[
        str | None,
        typer.Option(
            "--as",
            help="record as this body: refused unless it is the event's sender or acts for "
            "it (default: the operator of the database file, who may record any sender)",
        ),
    ] = None,
) -> None:
    """Record one event (a request, answer, extension, disagreement, withdrawal...).
    Whatever the operator, only a party of a case may move it (docs/security.md)."""
    from quyche_rules.tracker.authority import Actor

    data = _read(event_file)
    name = "<stdin>" if event_file == "-" else event_file
    with _tracker(db) as t:
        actor = None
        if as_party is not None:
            try:
                actor = Actor(party=t.engine.parties.resolve(as_party).id)
            except KeyError:
                fail(f"--as: unknown party {safe(as_party)!r}")
        try:
            r = t.record(data, actor=actor)
        except QuycheError as exc:
            fail(f"{name}: {exc}")
        verb = "recorded" if r.created else "already recorded"
        typer.echo(f"{verb} #{r.seq} {r.event_type}")
        for cid in r.opened:
            c = t.case(cid, r.event_date)
            typer.echo(
                f"case {cid}: {safe(t.name(c.obligated))} answers {safe(t.name(c.requester))} "
                f"by {c.due.isoformat()} ({c.rule_id})"
            )
        for cid in r.acts_on:
            typer.echo(f"acts on case {cid}")
        if getattr(data, "get", None) and data.get("in_reply_to") and not r.acts_on:
            ref = safe(str(data["in_reply_to"]))
            typer.echo(f"note: no recorded case answers to {ref!r} yet", err=True)
        for rid in r.no_due:
            typer.echo(f"note: {rid}: no due date (received_on not given), no case", err=True)


def _table(cases: tuple[Any, ...], t: Any) -> Table:
    from quyche_rules.tracker.model import STATE_VI

    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
    for col in ("Hồ sơ", "Văn bản", "Cơ quan phải trả lời", "Cho", "Hạn", "Trạng thái"):
        table.add_column(col, overflow="fold")
    for c in cases:
        due = c.due.isoformat() + (" (tạm tính)" if c.due_provisional else "")
        if c.due != c.original_due:
            due += f"\n(ban đầu {c.original_due.isoformat()})"
        state = STATE_VI[c.state]
        if c.consent_since:
            state += f"\ntừ {c.consent_since.isoformat()}"
        table.add_row(
            c.id,
            _cell(c.reference),
            _cell(t.name(c.obligated)),
            _cell(t.name(c.requester)),
            due,
            state,
        )
    return table


#: The groups of a status, in order: (attribute, count label, section title).
_SECTIONS = (
    ("owes", "phải trả lời", "Phải trả lời"),
    ("due_soon", "sắp đến hạn", "Sắp đến hạn (≤ 3 ngày)"),
    ("overdue", "quá hạn", "Quá hạn"),
    ("owed_to", "chờ cơ quan khác", "Chờ cơ quan khác trả lời"),
    ("consent", "xem là đồng ý", "Quá hạn không phản hồi: xem là đồng ý (Điều 3.1)"),
    ("escalated", "báo cáo cấp trên", "Không thống nhất, báo cáo cấp trên (Điều 2.2)"),
)


@track_app.command()
def status(
    party: Annotated[str | None, typer.Option("--party", help="party id or name")] = None,
    as_of: AsOfOption = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    db: DbOption = None,
) -> None:
    """What a body owes, is owed, and what became consent by silence, as of a date."""
    from quyche_rules.tracker.model import status_to_json

    day = _date(as_of, "--as-of")
    with _tracker(db) as t:
        s = t.status(party, day)
        if as_json:
            typer.echo(json.dumps(status_to_json(s), ensure_ascii=False, indent=2))
            return
        groups = [(short, title, getattr(s, attr)) for attr, short, title in _SECTIONS]
        _out.print(RichText(f"Ngày {s.as_of.isoformat()} — {safe(t.name(s.party))}"))
        _out.print(" · ".join(f"{short} {len(g)}" for short, _, g in groups), highlight=False)
        for _, title, group in groups:
            if group and not (group is s.due_soon and s.due_soon == s.owes):
                _out.print(f"\n{title}:", highlight=False)
                _out.print(_table(group, t))


@track_app.command()
def show(
    case: Annotated[str, typer.Argument(help="case id (or an unambiguous prefix)")],
    as_of: AsOfOption = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    db: DbOption = None,
) -> None:
    """The full history of one case."""
    from quyche_rules.tracker.model import STATE_VI, case_to_json

    day = _date(as_of, "--as-of")
    with _tracker(db) as t:
        c = t.case(case, day)
        if as_json:
            typer.echo(json.dumps(case_to_json(c), ensure_ascii=False, indent=2))
            return
        typer.echo(f"case {c.id}: {safe(c.reference)} ({c.rule_id})")
        typer.echo(f"  {safe(t.name(c.obligated))} answers {safe(t.name(c.requester))}")
        typer.echo(f"  due {c.due.isoformat()} (first {c.original_due.isoformat()})")
        typer.echo(f"  state: {c.state.value} — {STATE_VI[c.state]}")
        for h in c.history:
            seq = f"#{h.seq}" if h.seq >= 0 else "  "
            typer.echo(f"  {h.date.isoformat()} {seq:>4} {h.kind}: {safe(h.text)}")


@track_app.command()
def ics(
    party: Annotated[str, typer.Option("--party", help="party id or name")],
    file: Annotated[Path, typer.Argument(help="where to write the .ics feed")],
    as_of: AsOfOption = None,
    db: DbOption = None,
) -> None:
    """Write an iCalendar feed of the open deadlines PARTY owes or is owed."""
    day = _date(as_of, "--as-of")
    with _tracker(db) as t:
        data = t.ics(party, day)
    try:
        file.write_bytes(data)
    except OSError as exc:
        fail(f"{file}: cannot write ({exc.strerror})")
    typer.echo(f"wrote {file}")
