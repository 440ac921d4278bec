"""The status page computed by the database (``tracker.status_page``) gives exactly what
the whole status folded in memory gives: the same counts per group, and paging through a
group lists the same cases, in the same order, with the same JSON. Checked on SQLite and
PostgreSQL, on a log with every kind of case (awaiting, extended, answered on time and
late, deemed consent, overdue on a provisional due date, escalated, withdrawn, answered
and withdrawn in both orders, acts dated before the request, records out of date order),
for several bodies (obligated, owed to, both), every body together, and several dates."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import pytest

from quyche_rules.engine.engine import Engine
from quyche_rules.errors import QuycheError
from quyche_rules.tracker import Tracker
from quyche_rules.tracker.model import CaseState, case_to_json
from quyche_rules.tracker.status_page import GROUPS

from .events import answer, correction, disagreement, extension, request, withdrawal

PARTIES = ["dang_uy_khoi", "ban_noi_chinh_tinh_uy", "ban_to_chuc_tinh_uy"]
START = dt.date(2026, 11, 2)
ONE = dt.timedelta(days=1)


def _log(n: int, seed: int) -> list[dict[str, Any]]:
    """Requests and the lifecycle events on them, shuffled in recording order (so the
    sequence numbers do not follow the dates); 2027 has no official arrangement recorded,
    so requests late in December get provisional due dates."""
    rnd = random.Random(seed)
    out: list[dict[str, Any]] = []
    fixes: list[dict[str, Any]] = []  # receipt corrections: recorded after every request
    for i in range(n):
        rq, rd = rnd.sample(PARTIES, 2)
        ref = f"{i}-CV/SP"
        day = START + dt.timedelta(days=rnd.randrange(0, 60))
        out.append(request(ref, day, requester=rq, requested=rd))
        kw = {"requester": rq, "requested": rd}
        roll = rnd.random()
        later = day + dt.timedelta(days=rnd.randrange(-3, 25))  # before the request too
        if roll < 0.2:
            out.append(answer(ref, later, **kw))
        elif roll < 0.4:
            asked = day + dt.timedelta(days=rnd.randrange(-1, 12))
            reply_by = rnd.choice([None, later, day + dt.timedelta(days=rnd.randrange(14, 40))])
            out.append(extension(ref, asked, reply_by, **kw))
            if rnd.random() < 0.5:
                out.append(answer(ref, later + dt.timedelta(days=rnd.randrange(0, 30)), **kw))
        elif roll < 0.5:
            out.append(disagreement(ref, later, lead=rq, others=(rd,)))
            if rnd.random() < 0.4:
                out.append(withdrawal(ref, later + dt.timedelta(days=rnd.randrange(-2, 5)), **kw))
        elif roll < 0.58:
            out.append(withdrawal(ref, later, **kw))
        elif roll < 0.66:
            first, second = answer(ref, later, **kw), withdrawal(ref, later + ONE * 2, **kw)
            out.extend(rnd.sample([first, second], 2))
        elif roll < 0.72:  # an act from a body the case does not oblige: it changes nothing
            out.append(answer(ref, later, requester=rq, requested=rnd.choice(PARTIES)))
        # else: silence
        if rnd.random() < 0.15:  # the day of receipt corrected, earlier or later
            received = day + dt.timedelta(days=rnd.randrange(0, 10))
            fixes.append(correction(ref, received + ONE * rnd.randrange(0, 15), received, **kw))
    rnd.shuffle(out)
    return out + fixes


def _page_through(t: Tracker, party: str | None, day: dt.date, group: str, whole: Any) -> None:
    want_counts = {g: len(getattr(whole, g)) for g in GROUPS}
    got: list[Any] = []
    after = None
    for _ in range(200):
        page = t.status_page(party, day, group=group, limit=6, after=after)
        assert page.counts == want_counts, (party, day, group)
        assert len(page.cases) <= 6
        got += [case_to_json(c) for c in page.cases]
        if page.next_after is None:
            break
        after = page.next_after
    assert got == [case_to_json(c) for c in getattr(whole, group)], (party, day, group)


def test_status_page_equals_the_folded_status(db_url: str, py_engine: Engine) -> None:
    with Tracker(db_url, engine=py_engine) as t:
        recorded = 0
        for data in _log(80, seed=20):
            try:
                t.record(data)
                recorded += 1
            except QuycheError:
                pass  # e.g. an act refused by the authority rules: the log is what it is
        assert recorded > 100
        states: set[CaseState] = set()
        provisional = False
        for day in (START + ONE * 20, START + ONE * 40, dt.date(2027, 1, 10), dt.date(2027, 4, 1)):
            every = t.cases(as_of=day)
            states |= {c.state for c in every}
            provisional |= any(c.due_provisional and c.is_open for c in every)
            for party in (*PARTIES, None):
                whole = t.status(party, day)
                for group in GROUPS:
                    _page_through(t, party, day, group, whole)
        # the log really has every kind of case the page must get right
        assert {CaseState.CONSENT, CaseState.ESCALATED, CaseState.WITHDRAWN} <= states
        assert {CaseState.ANSWERED_LATE, CaseState.ANSWERED_ON_TIME} <= states
        assert {CaseState.EXTENDED, CaseState.AWAITING, CaseState.OVERDUE} <= states
        assert provisional
        corrected = any(h.kind == "receipt_corrected" for c in every for h in c.history)
        assert corrected


def test_a_page_is_stable_under_concurrent_records(db_url: str, py_engine: Engine) -> None:
    """Keyset paging: cases recorded between two pages never make the next page repeat
    or skip a case that was already there."""
    body = "ban_noi_chinh_tinh_uy"
    day = START + ONE * 8
    with Tracker(db_url, engine=py_engine) as t:
        for i in range(9):
            t.record(request(f"K{i}-CV", START + ONE * i))
        old = [c.id for c in t.status(body, day).owes]
        assert len(old) > 3
        first = t.status_page(body, day, group="owes", limit=3)
        seen = [c.id for c in first.cases]
        for i in range(4):  # earlier and later due dates than the page's
            t.record(request(f"N{i}-CV", START + ONE * (2 * i)))
        after = first.next_after
        while after is not None:
            page = t.status_page(body, day, group="owes", limit=3, after=after)
            seen += [c.id for c in page.cases]
            after = page.next_after
        assert len(seen) == len(set(seen))
        assert set(old) <= set(seen)


def test_an_unknown_group_is_refused(db_url: str, py_engine: Engine) -> None:
    with Tracker(db_url, engine=py_engine) as t, pytest.raises(ValueError, match="group"):
        t.status_page(None, START, group="everything", limit=3)


def test_a_body_owed_a_case_it_is_also_obliged_in(db_url: str, py_engine: Engine) -> None:
    """No rule of the regulation names the obligated body among its own counterparties
    today, but the page must not count such a case twice: the obliged side counts what it
    owes (consent included), the owed side only what it is owed. Such cases are written
    here by hand, beside ordinary ones, answered, extended and left to lapse."""
    import dataclasses

    from .events import REQUESTED

    with Tracker(db_url, engine=py_engine) as t:
        for i in range(24):
            day = START + ONE * (i * 3)
            data = request(f"{i}-CV/BOTH", day)
            if i % 2:
                t.record(data)
            else:  # the obligated body named among the case's counterparties too
                new = t.prepare(data)
                cases = tuple(
                    (cid, dataclasses.replace(d, counterparties=(*d.counterparties, d.obligated)))
                    for cid, d in new.cases
                )
                t.store.append(dataclasses.replace(new, cases=cases), t.clock())
            if i % 4 == 1:
                t.record(answer(f"{i}-CV/BOTH", day + ONE * 2))
            elif i % 6 == 2:
                t.record(extension(f"{i}-CV/BOTH", day + ONE, day + ONE * 30))
        both = [c for c in t.cases(as_of=START + ONE * 90) if c.obligated in c.counterparties]
        assert len(both) >= 10
        for day in (START + ONE * 10, START + ONE * 40, START + ONE * 90):
            for party in (REQUESTED, PARTIES[0], None):
                whole = t.status(party, day)
                assert whole.consent or day < START + ONE * 20
                for group in GROUPS:
                    _page_through(t, party, day, group, whole)
