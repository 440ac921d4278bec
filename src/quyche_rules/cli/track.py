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

from quyche_rules.cli.common import RETRYABLE, fail
from quyche_rules.errors import QuycheError
from quyche_rules.i18n import N_, _, format_date, language
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
    from quyche_rules.model.field_types import strict_date

    try:
        return strict_date(value)
    except ValueError:
        fail(_("{place}: {value} is not an ISO date (YYYY-MM-DD)", place=place, value=repr(value)))


def _retryable(exc: Exception) -> bool:
    """A database that cannot be reached or is busy (a retry may succeed), as opposed to
    one that refuses the request itself."""
    from sqlalchemy.exc import DisconnectionError, OperationalError, TimeoutError

    return isinstance(exc, OperationalError | DisconnectionError | TimeoutError)


@contextmanager
def _tracker(db: str | None) -> Iterator[Any]:
    """Open the tracker; every error the library or the database raises becomes one line."""
    from sqlalchemy.exc import SQLAlchemyError

    from quyche_rules.delivery.outbox import attach
    from quyche_rules.tracker import Tracker

    def first_line(exc: Exception) -> str:
        return str(getattr(exc, "orig", None) or exc).splitlines()[0]

    from quyche_rules.cli.common import engine_for  # --rules-dir, --profile

    try:
        t = attach(Tracker(db, engine=engine_for("auto")))
    except QuycheError as exc:  # a missing driver or an unreachable database: retry may fix
        fail(str(exc), retry=exc.code in RETRYABLE)
    except SQLAlchemyError as exc:
        fail(
            _("--db: cannot open the database: {reason}", reason=first_line(exc)),
            retry=_retryable(exc),
        )
    try:
        yield t
    except QuycheError as exc:
        fail(str(exc))
    except SQLAlchemyError as exc:
        fail(f"--db: {first_line(exc)}", retry=_retryable(exc))
    finally:
        t.close()


def _read(path: str) -> Any:
    name = "<stdin>" if path == "-" else path
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        fail(_("{name}: cannot read ({reason})", name=name, reason=exc.strerror))
    except UnicodeDecodeError:
        fail(_("{name}: not UTF-8", name=name))
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
        if r.created:
            typer.echo(_("recorded #{seq} {type}", seq=r.seq, type=r.event_type))
        else:
            typer.echo(_("already recorded #{seq} {type}", seq=r.seq, type=r.event_type))
        for cid in r.opened:
            c = t.case(cid, r.event_date)
            typer.echo(
                _(
                    "case {case}: {obligated} answers {requester} by {due} ({rule})",
                    case=cid,
                    obligated=safe(t.name(c.obligated)),
                    requester=safe(t.name(c.requester)),
                    due=_day(c.due),
                    rule=c.rule_id,
                )
            )
        for cid in r.acts_on:
            typer.echo(_("acts on case {case}", case=cid))
        if getattr(data, "get", None) and data.get("in_reply_to") and not r.acts_on:
            ref = repr(safe(str(data["in_reply_to"])))
            typer.echo(_("note: no recorded case answers to {ref} yet", ref=ref), err=True)
        for rid in r.no_due:
            typer.echo(
                _("note: {rule}: no due date (received_on not given), no case", rule=rid),
                err=True,
            )


def _day(d: dt.date) -> str:
    """A date for people: dd/mm/yyyy in Vietnamese; ISO in English, which scripts parse."""
    return format_date(d) if language() == "vi" else d.isoformat()


def _state(state: Any) -> str:
    from quyche_rules.tracker.model import STATE_VI

    return STATE_VI[state] if language() == "vi" else str(state.value).replace("_", " ")


#: the tracker's history lines (English data of the fold), as messages to translate
_D = r"(\d{4}-\d{2}-\d{2})"
_HISTORY: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p), msg)
    for p, msg in (
        (rf"^no answer by {_D}: deemed consent$", N_("no answer by {0}: deemed consent")),
        (rf"^no answer by {_D}$", N_("no answer by {0}")),
        (
            rf"^no answer by {_D} \((\S+) ended on {_D}, before the due date: no consent by "
            r"silence\)$",
            N_("no answer by {0} ({1} ended on {2}, before the due date: no consent by silence)"),
        ),
        (
            rf"^(\S+) acts as the successor of (\S+), which ended on {_D}$",
            N_("{0} acts as the successor of {1}, which ended on {2}"),
        ),
        (r"^answered on time$", N_("answered on time")),
        (rf"^answered late \(due {_D}\)$", N_("answered late (due {0})")),
        (r"^answer received; case already (\w+)$", N_("answer received; case already {0}")),
        (r"^extension ignored: case already (\w+)$", N_("extension ignored: case already {0}")),
        (
            r"^extension without a reply date: due unchanged$",
            N_("extension without a reply date: due unchanged"),
        ),
        (
            rf"^reply date {_D} not after due {_D}: due unchanged \(an extension never shortens\)$",
            N_("reply date {0} not after due {1}: due unchanged (an extension never shortens)"),
        ),
        (rf"^extended: due {_D} → {_D}$", N_("extended: due {0} → {1}")),
        (
            r"^the same duty stated again by record #(\d+)$",
            N_("the same duty stated again by record #{0}"),
        ),
        (
            rf"^due counted again: {_D} → {_D} \(the year's official arrangement is now "
            r"recorded\)$",
            N_("due counted again: {0} → {1} (the year's official arrangement is now recorded)"),
        ),
        (
            rf"^due counted again: {_D} → {_D} \(still provisional: the estimate changed\)$",
            N_("due counted again: {0} → {1} (still provisional: the estimate changed)"),
        ),
        (
            r"^disagreement noted; request already withdrawn$",
            N_("disagreement noted; request already withdrawn"),
        ),
        (
            r"^parties disagree: (\S+) reports up \(Điều 2\.2\)$",
            N_("parties disagree: {0} reports up (Art. 2.2)"),
        ),
        (r"^withdrawal noted; case already (\w+)$", N_("withdrawal noted; case already {0}")),
        (r"^request withdrawn$", N_("request withdrawn")),
        (
            rf"^receipt date corrected: due {_D} → {_D}$",
            N_("receipt date corrected: due {0} → {1}"),
        ),
        (rf"^(\w+) (.*): ([\w.-]+), due {_D}$", N_("{0} {1}: {2}, due {3}")),
    )
)


#: the history's kinds (data) as words
_KINDS = {
    "opened": N_("opened"),
    "answered": N_("answered"),
    "extension": N_("extension"),
    "disagreement": N_("disagreement"),
    "escalated": N_("escalated"),
    "withdrawn": N_("withdrawn"),
    "receipt_corrected": N_("receipt corrected"),
    "consent": N_("consent"),
    "overdue": N_("overdue"),
    "rederived": N_("due counted again"),
    "restated": N_("stated again"),
    "succession": N_("successor acts"),
}


def _states() -> dict[str, Any]:
    from quyche_rules.tracker.model import CaseState

    return {s.value: s for s in CaseState}


def _history_text(text: str, t: Any) -> str:
    """A history line in the reader's language, its dates and states in words."""
    for pattern, msg in _HISTORY:
        m = pattern.match(text)
        if m is None:
            continue
        parts: list[str] = []
        for g in m.groups():
            if re.fullmatch(r"\d{4}-\d{2}-\d{2}", g):
                parts.append(_day(dt.date.fromisoformat(g)))
            elif g in _states():
                parts.append(_state(_states()[g]))
            elif "_" in g and t.name(g) != g:
                parts.append(t.name(g))
            else:
                parts.append(g)
        return _(msg).format(*parts)
    return text


def _table(cases: tuple[Any, ...], t: Any) -> Table:
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
    cols = (_("Case"), _("Document"), _("Body to answer"), _("To"), _("Due"), _("State"))
    for col in cols:
        table.add_column(col, overflow="fold")
    for c in cases:
        due = _day(c.due) + (" " + _("(provisional)") if c.due_provisional else "")
        if c.due != c.original_due:
            due += "\n" + _("(first {date})", date=_day(c.original_due))
        if c.silence_means == "consent" and c.state.value in ("awaiting", "extended"):
            due += "\n" + _("no answer by the due date counts as consent")
        state = _state(c.state)
        if c.consent_since:
            state += "\n" + _("since {date}", date=_day(c.consent_since))
        obligated = t.name(c.obligated)
        if getattr(c, "unresolved_class", False):
            obligated += "\n" + _("a class still to be narrowed: name the body")
        heirs = [_cell(_succession_line(x, t)) for x in c.successions]
        document = _cell(c.reference)
        if c.summary:  # the subject under the number, each escaped on its own
            document.append("\n" + safe(c.summary))
        table.add_row(
            c.id,
            document,
            RichText("\n").join([_cell(obligated), *heirs]),
            _cell(t.name(c.requester)),
            due,
            state,
        )
    return table


def _succession_line(x: Any, t: Any) -> str:
    """An ended party of an open case and who inherits it, in one line."""
    if x.inheritor is not None:
        return _(
            "{party} ended on {ended}; inherited by {heir}",
            party=t.name(x.party),
            ended=_day(x.ended_on),
            heir=t.name(x.inheritor),
        )
    return _(
        "{party} ended on {ended}; no successor recorded",
        party=t.name(x.party),
        ended=_day(x.ended_on),
    )


#: The groups of a status, in order: (attribute, count label, section title).
_SECTIONS = (
    ("owes", N_("to answer"), N_("To answer")),
    ("due_soon", N_("due soon"), N_("Due soon (≤ 3 days)")),
    ("overdue", N_("overdue"), N_("Overdue")),
    ("owed_to", N_("awaiting others"), N_("Awaiting other bodies' answers")),
    ("consent", N_("deemed consent"), N_("No answer by the due date: deemed consent (Art. 3.1)")),
    ("escalated", N_("escalated"), N_("No agreement, reported up (Art. 2.2)")),
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
        groups = [(_(short), _(title), getattr(s, attr)) for attr, short, title in _SECTIONS]
        day_line = _("Date {date} — {party}", date=_day(s.as_of), party=safe(t.name(s.party)))
        _out.print(RichText(day_line))
        _out.print(_("Silence rule (Art. 3.1): no answer by the due date counts as consent."))
        _out.print(" · ".join(f"{short} {len(g)}" for short, _t, g in groups), highlight=False)
        for _s, title, group in groups:
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
    from quyche_rules.tracker.model import case_to_json

    day = _date(as_of, "--as-of")
    with _tracker(db) as t:
        c = t.case(case, day)
        if as_json:
            typer.echo(json.dumps(case_to_json(c), ensure_ascii=False, indent=2))
            return
        typer.echo(
            _("case {case}: {ref} ({rule})", case=c.id, ref=safe(c.reference), rule=c.rule_id)
        )
        if c.summary:
            typer.echo("  " + _("subject: {summary}", summary=safe(c.summary)))
        typer.echo(
            "  " + _("{obligated} answers {requester}", obligated=safe(t.name(c.obligated)),
                     requester=safe(t.name(c.requester)))
        )  # fmt: skip
        typer.echo(
            "  " + _("due {due} (first {first})", due=_day(c.due), first=_day(c.original_due))
        )
        if c.silence_means == "consent":
            typer.echo("  " + _("no answer by the due date counts as consent"))
        typer.echo("  " + _("state: {code} — {words}", code=c.state.value, words=_state(c.state)))
        for x in c.successions:
            typer.echo("  " + safe(_succession_line(x, t)))
        for h in c.history:
            seq = f"#{h.seq}" if h.seq >= 0 else "  "
            kind = _(_KINDS.get(h.kind, h.kind))
            typer.echo(f"  {_day(h.date)} {seq:>4} {kind}: {safe(_history_text(h.text, t))}")


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
        fail(_("{file}: cannot write ({reason})", file=file, reason=exc.strerror))
    typer.echo(_("wrote {file}", file=file))


@track_app.command()
def rebuild(db: DbOption = None) -> None:
    """Rebuild the derived tables (cases, acts) from the log: after a restore, or to check
    that nothing drifted. Idempotent; the log itself is never changed."""
    from sqlalchemy.exc import SQLAlchemyError

    from quyche_rules.tracker.rebuild import rebuild as run

    try:
        line = run(db)
    except QuycheError as exc:
        fail(str(exc))
    except SQLAlchemyError as exc:
        fail(f"--db: {str(getattr(exc, 'orig', None) or exc).splitlines()[0]}")
    typer.echo(line)
