"""The outbox is written in the record's own transaction; time-caused messages are swept
idempotently from the cases' fold, counted on the working-day calendar."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
import sqlalchemy as sa

from quyche_rules.calendar import WorkingCalendar
from quyche_rules.db.delivery_tables import outbox
from quyche_rules.db.tracker_tables import records
from quyche_rules.delivery import messages as m
from quyche_rules.delivery.outbox import sweep
from quyche_rules.delivery.subscriptions import DeliveryError, subscribe
from quyche_rules.tracker import Tracker

from ..tracker.events import REQUESTED, REQUESTER, answer, correction, extension, request

NOW = dt.datetime(2026, 1, 5, 3, tzinfo=dt.UTC)


def rows(t: Tracker) -> list[dict[str, Any]]:
    with t.store.engine.connect() as c:
        got = c.execute(sa.select(outbox).order_by(outbox.c.kind, outbox.c.party)).all()
    return [r._asdict() for r in got]


def changed(t: Tracker) -> list[dict[str, Any]]:
    """The payloads of the ``case.due_changed`` messages queued so far."""
    return [json.loads(r["payload"]) for r in rows(t) if r["kind"] == m.DUE_CHANGED]


def n_records(t: Tracker) -> int:
    with t.store.engine.connect() as c:
        return int(c.execute(sa.select(sa.func.count()).select_from(records)).scalar_one())


def test_a_record_and_its_messages_commit_together(tracker: Tracker) -> None:
    e = tracker.store.engine
    subscribe(e, party=REQUESTER, url="http://127.0.0.1:9/a")
    subscribe(e, party=REQUESTED, url="http://127.0.0.1:9/b", kinds=[m.ANSWERED])
    tracker.record(request("1/CV", "2026-01-05"))
    got = rows(tracker)
    # the requested body subscribed to answers only: one new-obligation message, to the
    # requester (owed the answer)
    assert [(r["kind"], r["party"]) for r in got] == [(m.NEW_OBLIGATION, REQUESTER)]
    payload = json.loads(got[0]["payload"])
    assert payload["message_id"] == got[0]["message_id"]
    assert payload["duty"]["due"] == "2026-01-13"
    assert "hạn 13/01/2026" in payload["text_vi"]

    # a hook failing after the outbox rows are written: neither record nor messages
    def boom(*_: object) -> None:
        raise RuntimeError("crash inside the transaction")

    tracker.store.on_append.append(boom)
    with pytest.raises(RuntimeError):
        tracker.record(request("2/CV", "2026-01-06"))
    tracker.store.on_append.remove(boom)
    assert n_records(tracker) == 1
    assert len(rows(tracker)) == 1

    tracker.record(answer("1/CV", "2026-01-08"))
    kinds = sorted((r["kind"], r["party"]) for r in rows(tracker))
    assert kinds == [(m.ANSWERED, REQUESTED), (m.ANSWERED, REQUESTER),
                     (m.NEW_OBLIGATION, REQUESTER)]  # fmt: skip
    answered = json.loads(next(r for r in rows(tracker) if r["kind"] == m.ANSWERED)["payload"])
    assert answered["case"]["state"] == "answered_on_time"
    # the same document again is not a new record, nor new messages
    tracker.record(answer("1/CV", "2026-01-08"))
    assert len(rows(tracker)) == 3


def test_a_corrected_receipt_says_the_due_date_changed(tracker: Tracker) -> None:
    """One ``case.due_changed`` per subscriber, in the correction's own transaction, with
    the new and the former due date; a subscriber to new obligations only (its kinds
    listed before this kind existed) receives it too. No new-obligation message."""
    e = tracker.store.engine
    subscribe(e, party=REQUESTER, url="http://127.0.0.1:9/a")
    subscribe(e, party=REQUESTED, url="http://127.0.0.1:9/b", kinds=[m.NEW_OBLIGATION])
    tracker.record(request("5/CV", "2026-01-05"))  # due 13/01/2026
    tracker.record(correction("5/CV", "2026-01-07", "2026-01-06"))  # due 14/01/2026
    got = sorted((r["kind"], r["party"]) for r in rows(tracker))
    assert got == [(m.DUE_CHANGED, REQUESTED), (m.DUE_CHANGED, REQUESTER),
                   (m.NEW_OBLIGATION, REQUESTED), (m.NEW_OBLIGATION, REQUESTER)]  # fmt: skip
    (msg, _) = [json.loads(r["payload"]) for r in rows(tracker) if r["kind"] == m.DUE_CHANGED]
    assert (msg["case"]["due"], msg["due_before"]) == ("2026-01-14", "2026-01-13")
    assert msg["text_vi"].startswith("Hạn thay đổi (đính chính ngày nhận văn bản)")
    assert "hạn 14/01/2026 (trước đây: 13/01/2026)" in msg["text_vi"]
    # a correction that leaves the due date where it was says nothing
    tracker.record(correction("5/CV", "2026-01-08", "2026-01-06"))
    assert len(rows(tracker)) == 4


def test_an_extension_says_the_due_date_changed(tracker: Tracker) -> None:
    """An extension that moves the due date is told like a corrected receipt: one
    ``case.due_changed`` per subscriber, with the new and the former date and its cause;
    one that leaves the date where it was (not later, or after the due date) says
    nothing."""
    e = tracker.store.engine
    subscribe(e, party=REQUESTER, url="http://127.0.0.1:9/a")
    subscribe(e, party=REQUESTED, url="http://127.0.0.1:9/b", kinds=[m.NEW_OBLIGATION])
    tracker.record(request("6/CV", "2026-01-05"))  # due 13/01/2026
    tracker.record(extension("6/CV", "2026-01-08", "2026-01-12", own_ref="6a/CV"))
    assert changed(tracker) == []  # an extension never shortens: nothing moved
    tracker.record(extension("6/CV", "2026-01-09", "2026-01-20", own_ref="6b/CV"))
    msgs = changed(tracker)
    assert sorted(x["party"] for x in msgs) == sorted([REQUESTED, REQUESTER])
    for msg in msgs:
        assert (msg["case"]["due"], msg["due_before"]) == ("2026-01-20", "2026-01-13")
        assert (msg["cause"], msg["case"]["state"]) == ("extension", "extended")
        assert msg["text_vi"].startswith("Hạn thay đổi (cơ quan được đề nghị xin thêm thời gian")
        assert "hạn 20/01/2026 (trước đây: 13/01/2026)" in msg["text_vi"]
        assert msg["text_en"].startswith("Due date changed (the requested body asked")
    # a later extension moves it again: a second message each, its own id
    tracker.record(extension("6/CV", "2026-01-19", "2026-01-23", own_ref="6c/CV"))
    assert len(changed(tracker)) == 4
    # one dated after the (new) due date changes nothing: consent had arisen
    tracker.record(extension("6/CV", "2026-01-27", "2026-02-10", own_ref="6d/CV"))
    assert len(changed(tracker)) == 4
    # the corrected receipt's message says its own cause
    tracker.record(request("7/CV", "2026-01-05"))
    tracker.record(correction("7/CV", "2026-01-07", "2026-01-06"))
    assert {x["cause"] for x in changed(tracker)} == {"extension", "receipt_corrected"}


def test_a_batch_queues_messages_for_each_new_record(tracker: Tracker) -> None:
    subscribe(tracker.store.engine, party=REQUESTED, url="http://127.0.0.1:9/b")
    tracker.record_many([request(f"{i}/CV", "2026-01-05") for i in range(5)])
    assert len(rows(tracker)) == 5


def test_reminder_counts_working_days_across_tet(tmp_path: Any, py_engine: Any) -> None:
    """Due 23/02/2026, the first working day after Tết Bính Ngọ (14-22/02 off): a
    reminder 2 working days before comes on 12/02 — eleven calendar days before, not two."""
    t = Tracker(str(tmp_path / "tet.db"), engine=py_engine)
    cal = WorkingCalendar()
    subscribe(t.store.engine, party=REQUESTED, url="http://127.0.0.1:9/b")  # N = 2
    subscribe(t.store.engine, party=REQUESTER, url="http://127.0.0.1:9/a", remind_days=3)
    t.record(request("13/CV", "2026-02-05"))
    due = dt.date(2026, 2, 23)
    assert t.cases()[0].due == due
    first: dict[str, dt.date] = {}
    day = dt.date(2026, 2, 5)
    while day <= due:
        sweep(t.store, cal, day, NOW)
        for r in rows(t):
            if r["kind"] == m.REMINDER:
                first.setdefault(r["party"], day)
        day += dt.timedelta(days=1)
    assert first == {REQUESTED: dt.date(2026, 2, 12), REQUESTER: dt.date(2026, 2, 11)}
    assert cal.working_days_between(first[REQUESTED], due) == 2
    # sweeping again the same days adds nothing: one reminder per case, kind and due date
    assert sweep(t.store, cal, dt.date(2026, 2, 13), NOW) == 0
    # the day after the due date, silence is consent (Art. 3.1): one message each
    assert sweep(t.store, cal, dt.date(2026, 2, 24), NOW) == 2
    assert sweep(t.store, cal, dt.date(2026, 2, 25), NOW) == 0
    consent = [json.loads(r["payload"]) for r in rows(t) if r["kind"] == m.CONSENT]
    assert {c["case"]["consent_since"] for c in consent} == {"2026-02-24"}
    assert "xem là đồng ý" in consent[0]["text_vi"]
    t.close()


def test_subscription_input_is_checked(tracker: Tracker) -> None:
    e = tracker.store.engine
    with pytest.raises(DeliveryError, match=r"^url: "):
        subscribe(e, party=REQUESTER, url="file:///etc/passwd")
    with pytest.raises(DeliveryError, match=r"^url: "):
        subscribe(e, party=REQUESTER, url="http://[")  # urlsplit raises: still one line
    with pytest.raises(DeliveryError, match=r"^kinds: unknown kind 'x'"):
        subscribe(e, party=REQUESTER, url="http://127.0.0.1:9/", kinds=["x"])
    with pytest.raises(DeliveryError, match=r"^remind_days: "):
        subscribe(e, party=REQUESTER, url="http://127.0.0.1:9/", remind_days=-1)
