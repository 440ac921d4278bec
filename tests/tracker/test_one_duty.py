"""One letter recorded as two events — the 13.4 personnel event and a
``coordination_requested`` — is ONE duty to answer in the tracker (``duty_digest``: same
basis, obligated body, counterparties, duty and reference): the first record opens the
case (its id is the one a single event always had), the second joins it, its history keeps
both triggering facts, and an answer to either document closes it. On both databases, one
record at a time and in one batch; the projection rebuilt from the log and the reference
fold agree."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from quyche_rules.engine.engine import Engine
from quyche_rules.tracker import CaseState, Tracker
from quyche_rules.tracker.model import case_id, fold

LEAD = "lanh_dao_co_quan_thuoc_khoi"
PERSONNEL: dict[str, Any] = {
    "type": "personnel_action", "date": "2025-03-04", "reference": "12-CV",
    "action": "reappointment", "stage": "process_started", "conducted_by": LEAD,
    "person_in_bloc": True, "person_committee_role": "bi_thu", "received_on": "2025-03-04",
}  # fmt: skip
REQUEST: dict[str, Any] = {
    "type": "coordination_requested", "date": "2025-03-04", "reference": "12-CV",
    "requester": LEAD, "requested": "dang_uy_khoi", "received_on": "2025-03-04",
}  # fmt: skip
ANSWER: dict[str, Any] = {
    "type": "coordination_answered", "date": "2025-03-10", "requester": LEAD,
    "requested": "dang_uy_khoi", "in_reply_to": "12-CV",
}  # fmt: skip
AS_OF = dt.date(2025, 3, 20)


def _check_one_case(t: Tracker, first: dict[str, Any], second: dict[str, Any]) -> None:
    (case,) = t.cases(as_of=AS_OF)
    sender = LEAD if first is REQUEST else None
    rule = "art3.1.respond" if first is REQUEST else "art3.1.respond-art13-4-request"
    assert case.id == case_id(sender, "12-CV", rule, "dang_uy_khoi")  # the first one's id
    assert case.due == dt.date(2025, 3, 13)
    kinds = [h.kind for h in case.history]
    assert kinds[:2] == ["opened", "restated"]
    assert case.history[0].text.startswith(first["type"])
    assert case.history[1].text == "the same duty stated again by record #2"
    assert case.state is CaseState.ANSWERED_ON_TIME
    folded = fold(t.log(), AS_OF)
    assert list(folded) == [case.id]
    assert folded[case.id].history == case.history and folded[case.id].state is case.state
    before = t.store.projection()
    t.store.rebuild_projection()
    assert t.store.projection() == before


@pytest.mark.parametrize("order", ["personnel-first", "request-first"])
def test_one_letter_recorded_twice_is_one_case(db_url: str, py_engine: Engine, order: str) -> None:
    first, second = (PERSONNEL, REQUEST) if order == "personnel-first" else (REQUEST, PERSONNEL)
    with Tracker(db_url, engine=py_engine) as t:
        a = t.record(first)
        b = t.record(second)
        assert len(a.opened) == 1 and b.opened == () and b.joined == a.opened
        assert t.record(ANSWER).acts_on == a.opened
        _check_one_case(t, first, second)


def test_in_one_batch_too(tmp_path: Any, py_engine: Engine) -> None:
    with Tracker(tmp_path / "t.db", engine=py_engine) as t:
        done = t.record_many([PERSONNEL, REQUEST, ANSWER])
        assert len(done[0].opened) == 1 and done[1].opened == ()
        _check_one_case(t, PERSONNEL, REQUEST)


def test_an_answer_recorded_before_the_second_report_still_counts(
    tmp_path: Any, py_engine: Engine
) -> None:
    with Tracker(tmp_path / "t.db", engine=py_engine) as t:
        t.record(PERSONNEL)
        t.record({**ANSWER, "date": "2025-03-05"})  # names the request not yet recorded
        t.record(REQUEST)
        (case,) = t.cases(as_of=AS_OF)
        assert case.state is CaseState.ANSWERED_ON_TIME


def test_another_letter_is_another_case(tmp_path: Any, py_engine: Engine) -> None:
    with Tracker(tmp_path / "t.db", engine=py_engine) as t:
        t.record(PERSONNEL)
        t.record({**REQUEST, "reference": "13-CV"})
        assert len(t.cases(as_of=AS_OF)) == 2
        # a single event's case keeps the id it always had
        assert {c.id for c in t.cases(as_of=AS_OF)} == {
            case_id(None, "12-CV", "art3.1.respond-art13-4-request", "dang_uy_khoi"),
            case_id(LEAD, "13-CV", "art3.1.respond", "dang_uy_khoi"),
        }
