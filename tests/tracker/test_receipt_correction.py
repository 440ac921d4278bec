"""A corrected day of receipt: the same case, its due date counted again from the corrected
day (Art. 3.1's 7 working days, on the working-day calendar), the same answer from the
fold of the log and from the store's projection, rebuilt or not; refused, in one line,
when it corrects nothing or comes from a body that may not correct it."""

from __future__ import annotations

import datetime as dt

import pytest

from quyche_rules.engine.engine import Engine
from quyche_rules.errors import EventError
from quyche_rules.tracker import Tracker
from quyche_rules.tracker.authority import Actor, AuthorityError
from quyche_rules.tracker.model import CaseState, TrackerError, fold

from .events import REQUESTED, REQUESTER, answer, correction, extension, request

D = dt.date


def test_a_corrected_receipt_moves_the_due_date_of_the_same_case(
    db_url: str, py_engine: Engine
) -> None:
    t = Tracker(db_url, engine=py_engine)
    # received on Monday 05/01/2026 as recorded: due Tuesday 13/01 (7 working days; the
    # official arrangement makes Saturday 10/01 a working day)
    t.record(request("5/CV", "2026-01-05"))
    (before,) = t.cases(as_of=D(2026, 1, 16))
    assert (before.due, before.state) == (D(2026, 1, 13), CaseState.CONSENT)
    # the requester finds it was received on Friday 09/01: due Monday 19/01, and on
    # 16/01 the case is awaiting again (consent had arisen on a wrong count)
    got = t.record(correction("5/CV", "2026-01-16", "2026-01-09"))
    assert got.created and got.acts_on == (before.id,) and got.opened == ()
    (after,) = t.cases(as_of=D(2026, 1, 16))
    assert after.id == before.id
    assert (after.due, after.original_due) == (D(2026, 1, 19), D(2026, 1, 19))
    assert after.state is CaseState.AWAITING and after.consent_since is None
    assert len(after.history) == len(before.history)  # the lapse line gave way to this one
    assert after.history[-1].kind == "receipt_corrected"
    assert "2026-01-13 → 2026-01-19" in after.history[-1].text
    # as of a day before the correction, the case is what the log knew then
    assert t.cases(as_of=D(2026, 1, 15))[0].due == D(2026, 1, 13)
    # an answer on 19/01 is on time against the corrected due date
    t.record(answer("5/CV", "2026-01-19"))
    assert t.cases(as_of=D(2026, 1, 30))[0].state is CaseState.ANSWERED_ON_TIME
    # the same correction again is the same record; a second one counts from its day
    assert not t.record(correction("5/CV", "2026-01-16", "2026-01-09")).created
    # the fold of the whole log and the projection agree, before and after a rebuild
    for day in (D(2026, 1, 15), D(2026, 1, 16), D(2026, 1, 30)):
        ref = fold(t.log(), day)
        assert {c.id: c for c in t.cases(as_of=day)} == ref
    before_rebuild = t.store.projection()
    t.store.rebuild_projection()
    assert t.store.projection() == before_rebuild
    t.close()


def test_corrections_are_refused_in_one_line(tmp_path: object, py_engine: Engine) -> None:
    t = Tracker(f"{tmp_path}/c.db", engine=py_engine)
    t.record(request("6/CV", "2026-01-05"))
    with pytest.raises(TrackerError, match=r"^in_reply_to: .*no coordination_requested"):
        t.record(correction("nope", "2026-01-16", "2026-01-09"))
    with pytest.raises(TrackerError, match=r"^requested: "):
        t.record(correction("6/CV", "2026-01-16", "2026-01-09", requested="ban_to_chuc_tinh_uy"))
    with pytest.raises(EventError, match=r"^received_on: .* is after date"):
        t.record(correction("6/CV", "2026-01-16", "2026-01-19"))
    # received before the request was dated: the request's own check, on the request
    with pytest.raises(TrackerError, match=r"^received_on: received_on: 2026-01-02 is before"):
        t.record(correction("6/CV", "2026-01-16", "2026-01-02"))
    # the requested body may not re-date the receipt (it has the extension for more time)
    with pytest.raises(AuthorityError, match=r"^requester: "):
        t.record(correction("6/CV", "2026-01-16", "2026-01-09"), actor=Actor(REQUESTED))
    t.record(correction("6/CV", "2026-01-16", "2026-01-09"), actor=Actor(REQUESTER))
    # an extension must now pass the corrected due date (19/01) to move it
    t.record(extension("6/CV", "2026-01-17", "2026-01-19"))
    assert t.cases(as_of=D(2026, 1, 17))[0].due == D(2026, 1, 19)
    t.close()


def test_a_correction_the_day_after_the_due_date_reopens_until_a_later_one_moves_it_back(
    tmp_path: object, py_engine: Engine
) -> None:
    """Found by the state machine: a request of 25/01/2025 (due 11/02), corrected on 12/02
    to a receipt of 06/02 (due 17/02), then on 13/02 to a receipt of 02/02 (due 11/02
    again). Read on 12/02 the case awaits (that day's log knew only the first correction);
    from 13/02 on it has been deemed consent since 12/02."""
    parties = {"requester": "dang_uy_khoi", "requested": "ban_noi_chinh_tinh_uy"}
    day = dt.date
    with Tracker(f"{tmp_path}/m.db", engine=py_engine) as t:
        t.record(request("2-CV", day(2025, 1, 25), **parties))
        t.record(correction("2-CV", day(2025, 2, 12), day(2025, 2, 6), **parties))
        t.record(correction("2-CV", day(2025, 2, 13), day(2025, 2, 2), **parties))
        log = t.log()
        (on_12,) = fold(log, day(2025, 2, 12)).values()
        assert on_12.state is CaseState.AWAITING and on_12.due == day(2025, 2, 17)
        (later,) = fold(log, day(2025, 3, 1)).values()
        assert later.due == day(2025, 2, 11) and later.consent_since == day(2025, 2, 12)
