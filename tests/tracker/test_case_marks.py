"""Each case's marks (``tracker.marks``: ``settled_on``, ``folded_from``,
``lapses_to_consent``), which the status page counts by: filled by migration 0012 for a
database recorded before it, recomputed by the rebuild, and right when a request and the
acts on it are recorded at once by two instances — on SQLite and PostgreSQL. "Right" is
what a rebuild from the log computes, and what the whole folded status answers."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import sqlalchemy as sa

from quyche_rules.db.tracker_tables import case_facts
from quyche_rules.engine.engine import Engine
from quyche_rules.errors import QuycheError
from quyche_rules.tracker import Tracker
from quyche_rules.tracker.status_page import GROUPS

from .events import answer, disagreement, extension, request, withdrawal
from .test_status_page import PARTIES, START, _log, _page_through
from .test_store import _alembic

MARKS = {"settled_on", "folded_from", "lapses_to_consent"}


def _record_all(t: Tracker, log: list[dict[str, Any]]) -> int:
    done = 0
    for data in log:
        try:
            t.record(data)
            done += 1
        except QuycheError:
            pass  # e.g. an act refused by the authority rules: the log is what it is
    return done


def _same_as_folded(t: Tracker, days: list[dt.date]) -> None:
    for day in days:
        for party in (*PARTIES, None):
            whole = t.status(party, day)
            for group in GROUPS:
                _page_through(t, party, day, group, whole)


def test_migration_0012_backfills_the_marks_of_an_existing_log(
    db_url: str, py_engine: Engine
) -> None:
    with Tracker(db_url, engine=py_engine) as t:
        assert _record_all(t, _log(30, seed=12)) > 30
        written = t.store.projection()
        facts = written["tracker_case_facts"]
        assert any(r for r in facts), "the log opened cases"
        _alembic(t, "downgrade", "0008")  # the marks are gone, the log and acts stay
        columns = {c["name"] for c in sa.inspect(t.store.engine).get_columns("tracker_case_facts")}
        assert not MARKS & columns
    with Tracker(db_url, engine=py_engine) as t:  # opening it migrates: 0012 backfills
        assert t.store.projection() == written
        _same_as_folded(t, [START + dt.timedelta(days=30), dt.date(2027, 2, 1)])


def test_the_marks_are_set_whatever_the_kind_and_order_of_acts(
    db_url: str, py_engine: Engine
) -> None:
    """Read back from the table: an answer settles without folding, a disagreement or an
    extension folds from its day, an act dated before the opening does not count, an act
    recorded before its request still marks the request's case, and only a rule reading
    silence as consent with a firm due date lapses to consent."""
    day = dt.date(2026, 3, 2)
    with Tracker(db_url, engine=py_engine) as t:
        t.record(answer("A-CV", day + dt.timedelta(days=3)))  # before its request
        t.record(request("A-CV", day))
        t.record(request("D-CV", day))
        t.record(disagreement("D-CV", day + dt.timedelta(days=2), lead="dang_uy_khoi",
                              others=("ban_noi_chinh_tinh_uy",)))  # fmt: skip
        t.record(withdrawal("D-CV", day + dt.timedelta(days=1)))
        t.record(request("E-CV", day))
        t.record(extension("E-CV", day + dt.timedelta(days=4), day + dt.timedelta(days=20)))
        t.record(request("B-CV", day))
        t.record(answer("B-CV", day - dt.timedelta(days=1)))  # dated before the opening
        with t.store.engine.connect() as conn:
            rows = {r.reference: r for r in conn.execute(sa.select(case_facts))}
    on = lambda n: day + dt.timedelta(days=n)  # noqa: E731
    assert (rows["A-CV"].settled_on, rows["A-CV"].folded_from) == (on(3), None)
    assert (rows["D-CV"].settled_on, rows["D-CV"].folded_from) == (on(1), on(2))
    assert (rows["E-CV"].settled_on, rows["E-CV"].folded_from) == (on(4), on(4))
    assert (rows["B-CV"].settled_on, rows["B-CV"].folded_from) == (None, None)
    for r in rows.values():
        firm = r.silence_means == "consent" and not r.due_provisional
        assert bool(r.lapses_to_consent) == firm
    assert any(r.lapses_to_consent for r in rows.values())


def test_requests_and_their_acts_recorded_at_once_by_two_instances(
    db_url: str, py_engine: Engine
) -> None:
    """Two trackers on one database (two engines, as two instances of the service): one
    records requests while the other records the answers, extensions and disagreements
    on them, in the opposite order, at once. Whichever of a request and its act commits
    second must see the first: the marks equal a rebuild's, and the page the fold."""
    n = 40
    day = dt.date(2026, 11, 2)
    kw = {"requester": "dang_uy_khoi", "requested": "ban_noi_chinh_tinh_uy"}
    requests = [request(f"R{i}-CV", day + dt.timedelta(days=i % 9), **kw) for i in range(n)]
    acts: list[dict[str, Any]] = []
    for i in range(n):
        on = day + dt.timedelta(days=i % 9 + 2)
        if i % 3 == 0:
            acts.append(answer(f"R{i}-CV", on, **kw))
        elif i % 3 == 1:
            acts.append(extension(f"R{i}-CV", on, on + dt.timedelta(days=30), **kw))
        else:
            acts.append(disagreement(f"R{i}-CV", on, lead=kw["requester"],
                                     others=(kw["requested"],)))  # fmt: skip
    with Tracker(db_url, engine=py_engine) as a, Tracker(db_url, engine=py_engine) as b:
        errors: list[BaseException] = []
        start = threading.Barrier(2)

        def run(t: Tracker, log: list[dict[str, Any]]) -> None:
            try:
                start.wait()
                _record_all(t, log)
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

        threads = [
            threading.Thread(target=run, args=(a, requests)),
            threading.Thread(target=run, args=(b, acts[::-1])),
        ]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        assert not errors
        _record_all(b, acts)  # an act refused before its request existed, recorded now
        written = a.store.projection()
        a.store.rebuild_projection()
        assert a.store.projection() == written
        marked = [r for r in written["tracker_case_facts"] if r[-3] is not None]
        assert len(marked) == n  # every case was settled by its act
        _same_as_folded(a, [day + dt.timedelta(days=5), dt.date(2027, 1, 20)])
