"""The delivery sweep folds the cases as the tracker reads them: a due date counted on a
provisional calendar (2027's official arrangement not recorded) is counted again once the
arrangement is recorded, and reminders, consent and the calendar feed follow the new date;
the move itself is said once (``case.due_changed``, cause ``rederived``)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from icalendar import Calendar

from quyche_rules.cli import common
from quyche_rules.cli.deliver import make_worker
from quyche_rules.db.delivery_tables import outbox
from quyche_rules.delivery import messages as m
from quyche_rules.delivery.feeds import ics_feed
from quyche_rules.delivery.outbox import sweep
from quyche_rules.delivery.subscriptions import subscribe
from quyche_rules.engine.engine import Engine
from quyche_rules.rulebook.loader import Rulebook
from quyche_rules.tracker import Tracker

from ..tracker.test_rederive import REQUEST, YEAR_2027, _recorded_2027

NOW = dt.datetime(2027, 1, 5, 3, tzinfo=dt.UTC)
REQUESTER, REQUESTED = REQUEST["requester"], REQUEST["requested"]
GUESSED, REAL = dt.date(2027, 1, 7), dt.date(2027, 1, 8)  # 4/1/2027 off once recorded


def messages(t: Tracker) -> list[dict[str, Any]]:
    with t.store.engine.connect() as c:
        got = c.execute(sa.select(outbox.c.payload).order_by(outbox.c.created_at)).scalars()
        return [json.loads(p) for p in got]


def kinds(t: Tracker) -> list[tuple[str, str]]:
    return sorted((x["type"], x["party"]) for x in messages(t) if x["type"] != m.NEW_OBLIGATION)


def test_the_sweep_follows_a_due_date_counted_again(
    book: Rulebook, tmp_path: Path, db_url: str
) -> None:
    with Tracker(db_url, engine=Engine(book, backend="python")) as before:
        for party in (REQUESTER, REQUESTED):
            subscribe(before.store.engine, party=party, url=f"http://127.0.0.1:9/{party}")
        (cid,) = before.record(REQUEST).opened
        assert before.case(cid, GUESSED).due == GUESSED  # provisional: the estimate
        old_feed = ics_feed(before, REQUESTED, dt.date(2027, 1, 5))
    calendar = _recorded_2027(tmp_path)
    with Tracker(db_url, engine=Engine(book, backend="python", calendar=calendar)) as t:
        # 5/1: two working days before the estimate, three before the real date: no
        # reminder yet (N = 2), but the move is said, once, to each subscribed party
        assert sweep(t.store, calendar, dt.date(2027, 1, 5), NOW, refresh=t.refresh) == 2
        assert kinds(t) == sorted([(m.DUE_CHANGED, REQUESTER), (m.DUE_CHANGED, REQUESTED)])
        for msg in messages(t)[-2:]:
            assert (msg["cause"], msg["due_before"]) == (m.REDERIVED, GUESSED.isoformat())
            assert (msg["case"]["due"], msg["case"]["due_provisional"]) == ("2027-01-08", False)
            assert "hạn 08/01/2027 (trước đây: 07/01/2027)" in msg["text_vi"]
            assert msg["text_vi"].startswith("Hạn thay đổi (hạn tạm tính được tính lại")
        assert sweep(t.store, calendar, dt.date(2027, 1, 5), NOW, refresh=t.refresh) == 0
        # 8/1, the day after the estimate: still in time, a reminder of the real date
        # (without the refresh: "overdue" on the estimate)
        sweep(t.store, calendar, REAL, NOW, refresh=t.refresh)
        reminders = [x for x in messages(t) if x["type"] == m.REMINDER]
        assert {x["case"]["due"] for x in reminders} == {"2027-01-08"}
        # 9/1: silence is consent (Art. 3.1), on the real date, never overdue
        sweep(t.store, calendar, REAL + dt.timedelta(days=1), NOW, refresh=t.refresh)
        got = kinds(t)
        assert (m.CONSENT, REQUESTED) in got and (m.CONSENT, REQUESTER) in got
        assert all(k != m.OVERDUE for k, _ in got)
        assert got.count((m.DUE_CHANGED, REQUESTED)) == 1
        # the calendar feed: the same event (UID), moved, with a higher SEQUENCE
        new_feed = ics_feed(t, REQUESTED, dt.date(2027, 1, 5))
    (old,) = Calendar.from_ical(old_feed).walk("VEVENT")
    (new,) = Calendar.from_ical(new_feed).walk("VEVENT")
    assert str(new["uid"]) == str(old["uid"]) == f"{cid}@quyche-rules"
    assert (old["dtstart"].dt, new["dtstart"].dt) == (GUESSED, REAL)
    assert int(new["sequence"]) == int(old["sequence"]) + 1
    assert str(new["status"]) == "CONFIRMED"


def test_the_delivery_command_sweeps_with_the_rules_directory_calendar(
    book: Rulebook, tmp_path: Path, rules_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``quyche --rules-dir … deliver``: the worker's sweep counts again on the calendar of
    that rules directory (the same as ``quyche track`` reads)."""
    db = str(tmp_path / "cli.db")
    with Tracker(db, engine=Engine(book, backend="python")) as t:
        subscribe(t.store.engine, party=REQUESTED, url="http://127.0.0.1:9/b")
        t.record(REQUEST)
    cal = rules_copy / "calendar" / "vn-civil-service.yaml"
    cal.write_text(cal.read_text(encoding="utf-8").rstrip("\n") + "\n" + YEAR_2027, "utf-8")
    monkeypatch.setitem(common.options, "rules_dir", rules_copy)
    worker = make_worker(db, timeout=1.0, dead_after_hours=1.0)
    try:
        worker.clock = lambda: NOW
        assert worker.sweep() == 1
    finally:
        worker.close()
    with Tracker(db, engine=Engine(book, backend="python")) as t:
        (msg,) = [x for x in messages(t) if x["type"] == m.DUE_CHANGED]
    assert (msg["due_before"], msg["case"]["due"]) == ("2027-01-07", "2027-01-08")


def test_a_message_a_record_causes_tells_the_case_counted_again(
    book: Rulebook, tmp_path: Path, db_url: str
) -> None:
    """The outbox written in a record's transaction folds the case as readers do: an
    answer on 8/1/2027, the real due date (the estimate said 7/1), is on time in the
    message, as in ``quyche track show`` — not late against the estimate."""
    from quyche_rules.delivery.outbox import attach

    with Tracker(db_url, engine=Engine(book, backend="python")) as before:
        subscribe(before.store.engine, party=REQUESTER, url="http://127.0.0.1:9/a")
        (cid,) = before.record(REQUEST).opened
    calendar = _recorded_2027(tmp_path)
    with attach(Tracker(db_url, engine=Engine(book, backend="python", calendar=calendar))) as t:
        t.record({"type": "coordination_answered", "date": "2027-01-08", "requester": REQUESTER,
                  "requested": REQUESTED, "in_reply_to": REQUEST["reference"]})  # fmt: skip
        (msg,) = [x for x in messages(t) if x["type"] == m.ANSWERED]
        assert (msg["case"]["state"], msg["case"]["due"]) == ("answered_on_time", "2027-01-08")
        assert t.case(cid, REAL).state.value == "answered_on_time"
