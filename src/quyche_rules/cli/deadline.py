"""``quyche deadline``: a due date counted in working days (Art. 3.1), optionally as an
iCalendar file.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Annotated

import typer

from quyche_rules.cli.common import IndentOpt, dump, fail, options
from quyche_rules.errors import QuycheError


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
    from quyche_rules.calendar.working_days import WorkingCalendar
    from quyche_rules.model.field_types import strict_date

    try:
        day = strict_date(received)
    except ValueError:
        fail(f"RECEIVED: {received!r} is not an ISO date (YYYY-MM-DD)")
    try:
        cal_path = None
        if options["rules_dir"] is not None:
            from quyche_rules.io import resources

            cal_path = resources.rules_file(resources.CALENDAR, options["rules_dir"])
        d = WorkingCalendar(cal_path).deadline(day, n)
    except QuycheError as exc:
        fail(str(exc))
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
        dump(
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
        fail(f"--ics: {path}: is a symbolic link; refusing to write through it")
    if path.is_dir():
        fail(f"--ics: {path}: is a directory")
    directory = path.parent
    try:
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        fail(f"--ics: {path}: cannot write ({exc.strerror})")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        fail(f"--ics: {path}: cannot write ({exc.strerror})")
