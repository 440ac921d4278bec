"""The pure lifecycle (no database): each reading of Art. 3.1 the model takes, on the
Friday-before-Tết request whose due date the calendar fixes at 11/02/2025."""

from __future__ import annotations

import datetime as dt

import pytest

from quyche_rules.engine.engine import Engine
from quyche_rules.tracker.model import Case, CaseState, case_id, fold, status

from .events import (
    REQUESTED,
    REQUESTER,
    answer,
    disagreement,
    extension,
    records,
    request,
    withdrawal,
)

D = dt.date.fromisoformat
FRIDAY_BEFORE_TET = D("2025-01-24")
DUE = D("2025-02-11")  # 7 working days after 24/01/2025 across the Tết holiday


def only(engine: Engine, events: list[dict[str, object]], as_of: dt.date) -> Case:
    cases = fold(records(engine, events), as_of)
    assert len(cases) == 1
    return next(iter(cases.values()))


def test_request_opens_one_case_with_the_calendar_due_date(py_engine: Engine) -> None:
    c = only(py_engine, [request("15-CV/ĐUK", FRIDAY_BEFORE_TET)], FRIDAY_BEFORE_TET)
    assert c.state is CaseState.AWAITING
    assert c.due == DUE and c.obligated == REQUESTED and c.requester == REQUESTER
    assert c.id == case_id(REQUESTER, "15-CV/ĐUK", "art3.1.respond", REQUESTED)


def test_consent_arises_the_day_after_the_due_date_and_never_before(py_engine: Engine) -> None:
    log = records(py_engine, [request("R", FRIDAY_BEFORE_TET)])
    assert next(iter(fold(log, DUE).values())).state is CaseState.AWAITING
    c = next(iter(fold(log, DUE + dt.timedelta(days=1)).values()))
    assert c.state is CaseState.CONSENT and c.consent_since == DUE + dt.timedelta(days=1)


def test_a_log_cannot_see_events_after_the_as_of_date(py_engine: Engine) -> None:
    log = records(py_engine, [request("R", FRIDAY_BEFORE_TET)])
    assert fold(log, FRIDAY_BEFORE_TET - dt.timedelta(days=1)) == {}


@pytest.mark.parametrize(
    ("answered", "state"),
    [(DUE, CaseState.ANSWERED_ON_TIME), (DUE + dt.timedelta(days=1), CaseState.ANSWERED_LATE)],
)
def test_answer_on_the_due_day_is_on_time_a_day_later_is_late(
    py_engine: Engine, answered: dt.date, state: CaseState
) -> None:
    c = only(py_engine, [request("R", FRIDAY_BEFORE_TET), answer("R", answered)], D("2025-03-01"))
    assert c.state is state
    late = state is CaseState.ANSWERED_LATE
    assert (c.consent_since is not None) is late


def test_extension_moves_the_due_date_then_silence_is_consent(py_engine: Engine) -> None:
    log = [request("R", FRIDAY_BEFORE_TET), extension("R", D("2025-02-10"), D("2025-02-20"))]
    assert only(py_engine, log, D("2025-02-12")).state is CaseState.EXTENDED
    assert only(py_engine, log, D("2025-02-20")).due == D("2025-02-20")
    c = only(py_engine, log, D("2025-02-21"))
    assert c.state is CaseState.CONSENT and c.original_due == DUE


@pytest.mark.parametrize("reply_by", [D("2025-02-05"), DUE, None])
def test_an_extension_never_shortens_the_deadline(
    py_engine: Engine, reply_by: dt.date | None
) -> None:
    log = [request("R", FRIDAY_BEFORE_TET), extension("R", D("2025-02-03"), reply_by)]
    c = only(py_engine, log, D("2025-02-06"))
    assert c.due == DUE and c.state is CaseState.AWAITING


def test_an_extension_after_the_due_date_changes_nothing(py_engine: Engine) -> None:
    log = [request("R", FRIDAY_BEFORE_TET), extension("R", D("2025-02-12"), D("2025-02-28"))]
    c = only(py_engine, log, D("2025-02-13"))
    assert c.state is CaseState.CONSENT and c.due == DUE


def test_disagreement_escalates_and_stops_consent(py_engine: Engine) -> None:
    log = [request("R", FRIDAY_BEFORE_TET), disagreement("R", D("2025-02-04"))]
    c = only(py_engine, log, D("2025-03-01"))
    assert c.state is CaseState.ESCALATED and c.consent_since is None


def test_withdrawal_ends_the_case_but_not_an_answer(py_engine: Engine) -> None:
    log = [request("R", FRIDAY_BEFORE_TET), withdrawal("R", D("2025-02-04"))]
    assert only(py_engine, log, D("2025-03-01")).state is CaseState.WITHDRAWN
    log = [request("R", FRIDAY_BEFORE_TET), answer("R", D("2025-02-03")), withdrawal("R", DUE)]
    assert only(py_engine, log, D("2025-03-01")).state is CaseState.ANSWERED_ON_TIME


def test_lifecycle_events_act_only_on_their_own_request(py_engine: Engine) -> None:
    other = "thuong_truc_dang_uy_khoi"  # acts for Đảng ủy Khối: within the regulation
    log = [
        request("R", FRIDAY_BEFORE_TET),
        request("R", FRIDAY_BEFORE_TET, requester=other),  # same number, other sender
        answer("R", D("2025-02-03")),  # answers Đảng ủy Khối's request only
    ]
    states = {c.requester: c.state for c in fold(records(py_engine, log), D("2025-03-01")).values()}
    assert states == {REQUESTER: CaseState.ANSWERED_ON_TIME, other: CaseState.CONSENT}


def test_events_apply_in_date_order_whatever_the_recording_order(py_engine: Engine) -> None:
    a = [request("R", FRIDAY_BEFORE_TET), answer("R", D("2025-02-03"))]
    b = [answer("R", D("2025-02-03")), request("R", FRIDAY_BEFORE_TET)]
    as_of = D("2025-03-01")
    sa_ = fold(records(py_engine, a), as_of)
    sb = fold(records(py_engine, b), as_of)
    assert [c.state for c in sa_.values()] == [c.state for c in sb.values()]


def test_status_groups_owes_owed_and_consent(py_engine: Engine) -> None:
    log = records(py_engine, [request("A", FRIDAY_BEFORE_TET), request("B", D("2025-02-03"))])
    day = D("2025-02-12")
    mine = status(fold(log, day).values(), REQUESTED, day)
    assert [c.reference for c in mine.owes] == ["B"] and [c.reference for c in mine.consent] == [
        "A"
    ]
    theirs = status(fold(log, day).values(), REQUESTER, day)
    assert [c.reference for c in theirs.owed_to] == ["B"] and theirs.owes == ()
    early, late = D("2025-02-05"), D("2025-02-10")  # A is due 11/02, B 12/02
    assert status(fold(log, early).values(), REQUESTED, early).due_soon == ()
    assert [c.reference for c in status(fold(log, late).values(), REQUESTED, late).due_soon] == [
        "A",
        "B",
    ]


def test_a_request_for_information_stays_overdue_never_consent(py_engine: Engine) -> None:
    """Art. 3.1: silence agrees with an opinion; it cannot hand over a document. A request
    for information keeps the 7 working days but lapses to overdue, and an extension and an
    answer naming the same ``asks_for`` act on it as on any request."""
    ev = {**request("INFO", FRIDAY_BEFORE_TET), "asks_for": "information"}
    c = only(py_engine, [ev], DUE + dt.timedelta(days=30))
    assert c.rule_id == "art3.1.respond-information-request" and c.due == DUE
    assert c.silence_means is None
    assert c.state is CaseState.OVERDUE and c.consent_since is None
    ext = {**extension("INFO", DUE, D("2025-02-20")), "asks_for": "information"}
    ans = {**answer("INFO", D("2025-02-19")), "asks_for": "information"}
    c = only(py_engine, [ev, ext, ans], D("2025-03-31"))
    assert c.state is CaseState.ANSWERED_ON_TIME and c.due == D("2025-02-20")


def test_a_provisional_due_date_never_becomes_consent(py_engine: Engine) -> None:
    """No official arrangement is recorded for 2027: the due date is a guess, and consent
    by silence cannot arise on a guessed date. The case stays overdue, flagged."""
    c = only(py_engine, [request("P", D("2027-03-01"))], D("2027-06-30"))
    assert c.due_provisional
    assert c.state is CaseState.OVERDUE and c.consent_since is None
    assert "provisional" in c.history[-1].text
