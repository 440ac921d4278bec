"""Hypothesis state machine of the lifecycle, on SQLite and PostgreSQL: random requests,
answers, extensions, disagreements, withdrawals, corrected days of receipt and duplicates
at random dates, recorded
through the real store; after every step the readings of Art. 3.1 hold for every case at
every date that matters, and at the end of each run what the store answers for each body
at each such date is exactly the pure fold of the whole log — though the store answers
from its projection (per-case facts folded per case), never from the log — and that
projection is exactly what the log alone rebuilds."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from quyche_rules.db.tracker_tables import (
    PROJECTION,
    case_parties,
    cases,
    due_counts,
    records,
    targets,
)
from quyche_rules.engine.engine import Engine
from quyche_rules.errors import QuycheError
from quyche_rules.tracker import Tracker
from quyche_rules.tracker.model import OPEN_STATES, Case, fold, involves

from .events import answer, correction, disagreement, extension, request, withdrawal

PARTIES = ["dang_uy_khoi", "ban_noi_chinh_tinh_uy", "ban_to_chuc_tinh_uy"]
FAR = dt.date(2026, 12, 31)
ONE = dt.timedelta(days=1)
dates = st.dates(dt.date(2025, 1, 20), dt.date(2025, 3, 20))


def reset(t: Tracker) -> None:
    with t.store.engine.begin() as conn:
        for table in (*PROJECTION, due_counts, targets, case_parties, cases, records):
            conn.execute(sa.delete(table))


def grid(log: list[Any]) -> list[dt.date]:
    """Every date at which something can change: each due date, the day after, each
    event's date, and far in the future."""
    days = {FAR} | {r.event.date for r in log}
    for c in fold(log, FAR).values():
        days |= {c.original_due, c.original_due + ONE, c.due, c.due + ONE}
    return sorted(days)


class Lifecycle(RuleBasedStateMachine):
    tracker: Tracker

    def __init__(self) -> None:
        super().__init__()
        reset(self.tracker)
        self.requests: list[tuple[str, str, str, dt.date]] = []

    # Đảng ủy Khối is one side of every request: the regulation binds no one else (Art. 1.1)
    @rule(pair=st.permutations(PARTIES).filter(lambda p: "dang_uy_khoi" in p[:2]), on=dates)
    def send_request(self, pair: list[str], on: dt.date) -> None:
        requester, requested = pair[0], pair[1]
        ref = f"{len(self.requests) + 1}-CV"
        r = self.tracker.record(request(ref, on, requester=requester, requested=requested))
        assert r.created and r.opened
        self.requests.append((ref, requester, requested, on))

    @precondition(lambda self: self.requests)
    @rule(
        data=st.data(),
        kind=st.sampled_from(["answer", "extension", "disagreement", "withdrawal"]),
        on=dates,
        reply_by=st.one_of(st.none(), dates),
    )
    def act(self, data: st.DataObject, kind: str, on: dt.date, reply_by: dt.date | None) -> None:
        ref, rq, rd, _ = data.draw(st.sampled_from(self.requests))
        parties = {"requester": rq, "requested": rd}
        if kind == "answer":
            ev = answer(ref, on, **parties)
        elif kind == "extension":
            ev = extension(ref, on, reply_by, **parties)
        elif kind == "disagreement":
            ev = disagreement(ref, on, lead=rq, others=(rd,))
        else:
            ev = withdrawal(ref, on, **parties)
        r = self.tracker.record(ev)  # the same act twice (same content) is one record
        assert [x.seq for x in self.tracker.log()].count(r.seq) == 1

    @precondition(lambda self: self.requests)
    @rule(data=st.data(), late=st.integers(0, 12), after=st.integers(0, 20))
    def correct_the_day_of_receipt(self, data: st.DataObject, late: int, after: int) -> None:
        """Received ``late`` days after the request's date (earlier or later than recorded),
        corrected ``after`` days after that: always a day the correction may name."""
        ref, rq, rd, sent = data.draw(st.sampled_from(self.requests))
        received = sent + late * ONE
        ev = correction(ref, received + after * ONE, received, requester=rq, requested=rd)
        try:
            r = self.tracker.record(ev)
        except QuycheError as exc:  # only a request that opened no case (none here)
            raise AssertionError(f"correction refused: {exc}") from None
        assert r.acts_on

    @precondition(lambda self: self.requests)
    @rule(data=st.data())
    def record_the_same_request_again(self, data: st.DataObject) -> None:
        ref, rq, rd, on = data.draw(st.sampled_from(self.requests))
        before = len(self.tracker.log())
        r = self.tracker.record(request(ref, on, requester=rq, requested=rd))
        assert not r.created and len(self.tracker.log()) == before

    @invariant()
    def readings_of_article_3_1_hold(self) -> None:
        log = self.tracker.log()
        previous: dict[str, Case] = {}
        for day in grid(log):
            for cid, c in fold(log, day).items():
                assert c.due >= c.original_due  # an extension never shortens
                corrected = any(h.kind == "receipt_corrected" for h in c.history)
                if cid in previous and not corrected:  # (a corrected receipt may be earlier)
                    assert c.due >= previous[cid].due  # ... nor later in time
                if c.state in OPEN_STATES:
                    assert day <= c.due  # open cases are never past their due date
                if c.consent_since is not None:  # consent: the day after due, never before
                    assert c.consent_since == c.due + ONE and day >= c.consent_since
                previous[cid] = c
        for c in fold(log, FAR).values():
            at_due = fold(log, c.due).get(c.id)
            if at_due is not None and at_due.state in OPEN_STATES and at_due.due == c.due:
                after = fold(log, c.due + ONE)[c.id]
                # a receipt corrected that very day may move the due date on (the log read
                # then knew only that correction; a later one may move it back)
                moved = after.due != c.due and any(
                    h.kind == "receipt_corrected" and h.date == c.due + ONE for h in after.history
                )
                if not moved:
                    assert after.state not in OPEN_STATES and after.consent_since == c.due + ONE

    def teardown(self) -> None:
        log = self.tracker.log()
        # the projection written record by record is the one the log alone rebuilds
        written = self.tracker.store.projection()
        assert self.tracker.store.rebuild_projection() == len(log)
        assert self.tracker.store.projection() == written
        for c in fold(log, FAR).values():  # one case, from the projection, on its key days
            for day in (c.opened_on, c.original_due, c.due + ONE, FAR):
                assert self.tracker.case(c.id, day) == fold(log, day)[c.id]
        for day in grid(log):
            expected = fold(log, day)
            assert self.tracker.cases(as_of=day) == sorted(
                expected.values(), key=lambda c: (c.due, c.id)
            )
            for p in PARTIES:
                mine = [c for c in expected.values() if involves(c, p)]
                assert self.tracker.cases(party=p, as_of=day) == sorted(
                    mine, key=lambda c: (c.due, c.id)
                )


def test_lifecycle_state_machine(db_url: str, py_engine: Engine) -> None:
    tracker = Tracker(db_url, engine=py_engine)
    try:

        class Run(Lifecycle):
            pass

        Run.tracker = tracker
        run_state_machine_as_test(
            Run,
            settings=settings(
                max_examples=20,
                stateful_step_count=12,
                deadline=None,
                suppress_health_check=[HealthCheck.too_slow],
            ),
        )
    finally:
        tracker.close()
