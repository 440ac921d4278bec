"""A provisional due date (a year with no recorded official arrangement: 2027 today) stays
awaiting, then overdue with its flag, never consent; once the year's arrangement is
recorded (here in a temporary copy of the calendar data), the tracker counts the due date
again on read, and the case follows the real date: consent by silence included."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from typer.testing import CliRunner

from quyche_rules.calendar.working_days import WorkingCalendar
from quyche_rules.cli.main import app as cli
from quyche_rules.engine.engine import Engine
from quyche_rules.io.resources import rules_file
from quyche_rules.rulebook.loader import Rulebook
from quyche_rules.tracker import CaseState, Tracker

#: received on Monday 28/12/2026: seven working days reach into 2027
REQUEST = {"type": "coordination_requested", "date": "2026-12-28", "received_on":
           "2026-12-28", "reference": "88-CV/ĐUK", "requester": "dang_uy_khoi",
           "requested": "ban_to_chuc_tinh_uy"}  # fmt: skip

#: a 2027 arrangement for the test: New Year's Day, and Monday 4/1 off (a swap)
YEAR_2027 = """
  2027:
    days_off:
      - date: 2027-01-01
        reason_vi: Tết Dương lịch
        reason_en: New Year's Day
        source: test
      - date: 2027-01-04
        reason_vi: Nghỉ hoán đổi (dữ liệu thử)
        reason_en: Swapped day off (test data)
        source: test
"""


def _recorded_2027(tmp_path: Path) -> WorkingCalendar:
    text = rules_file("calendar/vn-civil-service.yaml").read_text(encoding="utf-8")
    path = tmp_path / "vn-civil-service.yaml"
    path.write_text(text.rstrip("\n") + "\n" + YEAR_2027, encoding="utf-8")
    return WorkingCalendar(path)


def test_a_provisional_case_is_counted_again_once_the_year_is_recorded(
    book: Rulebook, tmp_path: Path
) -> None:
    db = tmp_path / "t.db"
    now = Engine(book, backend="python")
    with Tracker(db, engine=now) as t:
        (cid,) = t.record(REQUEST).opened
        first = t.case(cid, dt.date(2027, 1, 4))
        assert first.due_provisional and first.state is CaseState.AWAITING
        guessed = first.due
        late = t.case(cid, guessed + dt.timedelta(days=3))
        assert late.state is CaseState.OVERDUE and late.due_provisional  # never consent
        assert late.consent_since is None
    calendar = _recorded_2027(tmp_path)
    recorded = Engine(book, backend="python", calendar=calendar)
    with Tracker(db, engine=recorded) as t:
        real = calendar.deadline(dt.date(2026, 12, 28), 7)
        assert not real.provisional and real.due != guessed  # 4/1 is off: one day later
        case = t.case(cid, real.due + dt.timedelta(days=1))
        assert case.id == cid  # the same case, its id unchanged
        assert (case.due, case.original_due, case.due_provisional) == (real.due, real.due, False)
        assert case.state is CaseState.CONSENT
        assert case.consent_since == real.due + dt.timedelta(days=1)
        said = [h.text for h in case.history if h.kind == "rederived"]
        assert said == [
            f"due counted again: {guessed.isoformat()} → {real.due.isoformat()} "
            "(the year's official arrangement is now recorded)"
        ]
        # the status and the log agree; the log keeps the decision as it was taken
        (owed,) = t.status("ban_to_chuc_tinh_uy", real.due).owes
        assert owed.due == real.due and not owed.due_provisional
        (rec,) = t.log()
        assert rec.decision.duties[0].due == guessed and rec.decision.duties[0].due_provisional


def test_the_cli_shows_the_due_date_counted_again(
    book: Rulebook, tmp_path: Path, rules_copy: Path
) -> None:
    """``quyche track show`` with a rules directory whose calendar records 2027: the new
    date, and the history line in Vietnamese."""
    db = tmp_path / "t.db"
    with Tracker(db, engine=Engine(book, backend="python")) as t:
        (cid,) = t.record(REQUEST).opened
    cal = rules_copy / "calendar" / "vn-civil-service.yaml"
    cal.write_text(cal.read_text(encoding="utf-8").rstrip("\n") + "\n" + YEAR_2027, "utf-8")
    runner = CliRunner()
    show = ["--lang", "vi", "track", "show", cid, "--db", str(db), "--as-of", "2027-01-05"]
    before = runner.invoke(cli, show)
    assert before.exit_code == 0, before.output
    assert "tính lại hạn" not in before.output
    after = runner.invoke(cli, ["--rules-dir", str(rules_copy), *show])
    assert after.exit_code == 0, after.output
    assert "tính lại hạn" in after.output
    assert "(đã ghi nhận lịch nghỉ chính thức của năm)" in after.output
    as_json = runner.invoke(cli, ["--rules-dir", str(rules_copy), *show, "--json"])
    assert json.loads(as_json.output)["due_provisional"] is False
