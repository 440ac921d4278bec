"""The store on SQLite and PostgreSQL: idempotency, refusals that write nothing, the
schema the migrations build, the decision kept with each record, concurrent writers, and
writers killed with SIGKILL mid-stream."""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from quyche_rules.db.connect import MIGRATIONS_DIR, VERSION_TABLE
from quyche_rules.db.delivery_tables import metadata as delivery_metadata
from quyche_rules.db.service_tables import metadata as service_metadata
from quyche_rules.db.tracker_tables import PROJECTION, cases, records
from quyche_rules.engine.engine import Engine
from quyche_rules.errors import EventError
from quyche_rules.tracker import Tracker, TrackerError, metadata, migrate, rulebook_hash

from .events import REQUESTED as REQUESTED_PARTY
from .events import answer, disagreement, extension, request, withdrawal
from .writer import event

KILLS = 12


def counts(t: Tracker) -> dict[str, int]:
    return t.store.counts()


def test_the_same_document_twice_is_one_record_and_one_case(db_url: str, py_engine: Engine) -> None:
    with Tracker(db_url, engine=py_engine) as t:
        first = t.record(request("15-CV/ĐUK", "2025-01-24"))
        again = t.record(request("15-CV/ĐUK", "2025-01-24"))
        assert first.created and not again.created and again.seq == first.seq
        assert again.opened == first.opened
        assert counts(t)["tracker_records"] == 1 and counts(t)["tracker_cases"] == 1
        # the same number from another sender is another document
        t.record(request("15-CV/ĐUK", "2025-01-24", requester="ban_to_chuc_tinh_uy"))
        assert counts(t)["tracker_records"] == 2


def test_refused_input_writes_nothing(db_url: str, py_engine: Engine) -> None:
    with Tracker(db_url, engine=py_engine) as t:
        t.record(request("R", "2025-01-24"))
        before = counts(t)
        changed = {**request("R", "2025-01-24"), "received_on": "2025-01-27"}
        with pytest.raises(TrackerError, match="already recorded"):
            t.record(changed)  # the same document with other content: never overwritten
        no_ref = request("R", "2025-01-24")
        del no_ref["reference"]
        with pytest.raises(TrackerError, match=r"^reference: required"):
            t.record(no_ref)  # a case no answer could ever find
        with pytest.raises(TrackerError, match=r"^in_reply_to"):
            t.record({**extension("R", "2025-02-03", "2025-02-20"), "in_reply_to": None})
        with pytest.raises(EventError, match=r"^requested"):
            t.record({**request("S", "2025-01-24"), "requested": "nobody"})
        assert counts(t) == before
        assert t.case(t.record(request("R", "2025-01-24")).opened[0]).due.isoformat() == (
            "2025-02-11"
        )


def test_migrations_build_exactly_the_schema_of_the_code(db_url: str, py_engine: Engine) -> None:
    with Tracker(db_url, engine=py_engine) as t:
        migrate(t.store.engine)  # a second run is a no-op
        with t.store.engine.connect() as conn:
            # one database: the tracker's tables and the service's (revision 0002)
            diff = compare_metadata(
                MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE}),
                [metadata, service_metadata, delivery_metadata],
            )
        assert diff == []


def test_each_record_keeps_the_decision_and_who_took_it(
    db_url: str, py_engine: Engine, book: object
) -> None:
    with Tracker(db_url, engine=py_engine) as t:
        t.record(request("R", "2025-01-24"))
        with t.store.engine.connect() as conn:
            row = conn.execute(sa.select(records)).one()
    assert row.rulebook_hash == rulebook_hash(book) and len(row.rulebook_hash) == 64  # type: ignore[arg-type]
    assert row.engine_version.startswith("quyche-rules ") and "(python)" in row.engine_version
    decided = json.loads(row.decision_json)
    expected = py_engine.who_must_be_notified(request("R", "2025-01-24"))
    assert [(d["rule_id"], d["obligated"], d["due"]) for d in decided] == [
        (o.rule_id, o.obligated.id, o.due.isoformat() if o.due else None) for o in expected
    ]


def test_the_rulebook_hash_changes_with_any_rule_file(rules_copy: Path, book: object) -> None:
    from quyche_rules.rulebook.loader import load_rulebook

    assert rulebook_hash(load_rulebook(rules_copy)) == rulebook_hash(book)  # type: ignore[arg-type]
    f = rules_copy / "articles" / "dieu-03.yaml"
    f.write_text(
        f.read_text(encoding="utf-8").replace("The body that needs", "The body needing", 1),
        encoding="utf-8",
    )
    g = rules_copy / "deadlines.yaml"
    g.write_text(g.read_text(encoding="utf-8").replace("working_days: 7", "working_days: 8"))
    assert rulebook_hash(load_rulebook(rules_copy)) != rulebook_hash(book)  # type: ignore[arg-type]


def test_the_rulebook_hash_does_not_depend_on_the_process() -> None:
    code = (
        "from quyche_rules.tracker import rulebook_hash as h; "
        "from quyche_rules import load_rulebook as l; print(h(l()))"
    )
    outs = {
        subprocess.run(
            [sys.executable, "-c", code],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2")
    }
    assert len(outs) == 1


class Writer:
    """A writer process forked from the test (it inherits the loaded engine, so it starts
    in milliseconds, not seconds): it opens its own Tracker — its own connections — and
    records ``<prefix>-<i>``, writing ``ack <reference>`` to a pipe after each commit, and
    ``tx <reference>`` from inside each record's transaction, its rows written, before its
    commit."""

    def __init__(self, db: str, engine: Engine, prefix: str, start: int, stop: int) -> None:
        r, w = os.pipe()
        self.pid = os.fork()
        if self.pid == 0:  # pragma: no cover - the child
            code = 1
            try:
                os.close(r)
                with Tracker(db, engine=engine) as t:
                    os.write(w, b"ready\n")
                    for i in range(start, stop):
                        ref = f"{prefix}-{i}"
                        t.record(event(prefix, i), then=lambda _c, _r: os.write(w, b"tx\n"))
                        os.write(w, f"ack {ref}\n".encode())
                code = 0
            finally:
                os._exit(code)
        os.close(w)
        self.out = os.fdopen(r, "r")
        self.acks: set[str] = set()  # read before the end (``wait_acks``)

    def wait_ready(self) -> None:
        assert self.out.readline().strip() == "ready"

    def wait_acks(self, n: int) -> None:
        """Block until the writer has acknowledged ``n`` more records (progress it shows,
        however loaded the machine: no guess of how long that takes)."""
        while n > 0:
            line = self.out.readline()
            assert line.startswith(("ack ", "tx")), f"the writer stopped: {line!r}"
            if line.startswith("ack "):
                self.acks.add(line.split()[1])
                n -= 1

    def wait_in_transaction(self) -> None:
        """Block until the writer is inside a record's transaction, its rows written, its
        commit next."""
        while (line := self.out.readline()) != "tx\n":
            assert line.startswith("ack "), f"the writer stopped: {line!r}"
            self.acks.add(line.split()[1])

    def kill(self) -> None:
        os.kill(self.pid, signal.SIGKILL)

    def finish(self) -> tuple[int, set[str]]:
        """Wait for the end; the exit status and every acknowledged reference."""
        text = self.out.read()
        self.out.close()
        _, status = os.waitpid(self.pid, 0)
        acks = {line.split()[1] for line in text.splitlines() if line.startswith("ack ")}
        return status, acks | self.acks


def _consistent(t: Tracker) -> None:
    """Every record has exactly the cases its stored decision says it opened, and the
    projection is exactly what the log rebuilds (after concurrent writers, after kills)."""
    with t.store.engine.connect() as conn:
        rows = conn.execute(sa.select(records.c.seq, records.c.decision_json)).all()
        opened = dict(
            conn.execute(
                sa.select(cases.c.record_seq, sa.func.count()).group_by(cases.c.record_seq)
            ).all()
        )
    for seq, decision in rows:
        want = sum(1 for d in json.loads(decision) if d["due"] is not None)
        assert opened.get(seq, 0) == want, seq
    written = t.store.projection()
    assert t.store.rebuild_projection() == len(rows)
    assert t.store.projection() == written


def test_concurrent_writers_lose_nothing_and_duplicate_nothing(
    db_url: str, py_engine: Engine
) -> None:
    """Two processes and two threads (four connections) record overlapping ranges of the
    same documents at once: every document is recorded exactly once."""
    with Tracker(db_url, engine=py_engine) as t:  # schema first, as a deployment would
        procs = [Writer(db_url, py_engine, "w", 0, 60), Writer(db_url, py_engine, "w", 30, 90)]
        errors: list[BaseException] = []

        def run(lo: int, hi: int) -> None:
            try:
                for i in range(lo, hi):
                    t.record(event("w", i))
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

        threads = [threading.Thread(target=run, args=r) for r in ((10, 50), (40, 80))]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        results = [p.finish() for p in procs]
        assert [status for status, _ in results] == [0, 0]
        assert not errors
        assert len(set().union(*(acks for _, acks in results))) == 90
        refs = {r.event.reference for r in t.log()}
        assert refs == {f"w-{i}" for i in range(90)}
        _consistent(t)


def test_sigkill_mid_stream_loses_no_acknowledged_record(db_url: str, py_engine: Engine) -> None:
    """A writer is killed with SIGKILL mid-stream, many times: every record it
    acknowledged is there, none is half-written, and the database takes new records.

    Each kill comes after a random number of acknowledged records (none, for some), read
    from the writer as it goes; then, one time in two, at once (the writer is preparing or
    beginning its next record), else once the writer says it is inside its next record's
    transaction, its rows written (the kill lands before, during or just after its commit).
    Waiting on what the writer reports, not for a time, keeps it the same test on a loaded
    machine, where a writer may record nothing in a given time."""
    rng = random.Random(13)
    acked: set[str] = set()
    with Tracker(db_url, engine=py_engine) as t:
        for n in range(KILLS):
            w = Writer(db_url, py_engine, f"k{n}", 0, 100_000)
            w.wait_ready()
            w.wait_acks(rng.randint(0, 12))
            if rng.random() < 0.5:
                w.wait_in_transaction()
            w.kill()
            status, acks = w.finish()
            assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
            acked |= acks
        refs = {r.event.reference for r in t.log()}
        assert acked <= refs
        assert len(refs - acked) <= KILLS  # at most one committed but unacknowledged per kill
        _consistent(t)
        assert t.record(request("after", "2025-03-03")).created
        if t.store.engine.dialect.name == "sqlite":
            with t.store.engine.connect() as conn:
                assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
    assert len(acked) > 0


def test_a_batch_is_all_or_nothing_and_idempotent(db_url: str, py_engine: Engine) -> None:
    with Tracker(db_url, engine=py_engine) as t:
        t.record(event("b", 0))
        bad = {**event("b", 5), "requested": "nobody"}
        with pytest.raises(EventError, match=r"^\[3\] requested"):
            t.record_many([event("b", 1), event("b", 2), event("b", 1), bad])
        assert counts(t)["tracker_records"] == 1
        done = t.record_many([event("b", i) for i in (0, 1, 2, 1)])
        assert [d.created for d in done] == [False, True, True, False]
        assert done[1].seq == done[3].seq and counts(t)["tracker_records"] == 3
        _consistent(t)


def test_an_in_memory_database_is_one_database_for_all_connections(py_engine: Engine) -> None:
    with Tracker(":memory:", engine=py_engine) as t:
        t.record(request("R", "2025-01-24"))
        threading.Thread(target=t.record, args=(request("S", "2025-01-24"),)).start()
        time.sleep(0.2)
        assert {c.reference for c in t.cases(as_of=None)} == {"R", "S"}
    assert not Path(":memory:").exists()


def test_the_default_date_is_today_in_vietnam_from_the_injected_clock(
    tmp_path: Path, py_engine: Engine
) -> None:
    import datetime as dt

    now = dt.datetime(2025, 2, 11, 16, 59, tzinfo=dt.UTC)  # 23:59 on 11/02 in Hà Nội
    t = Tracker(tmp_path / "t.db", engine=py_engine, clock=lambda: now)
    with t:
        cid = t.record(request("R", "2025-01-24")).opened[0]
        assert t.today() == dt.date(2025, 2, 11)
        assert t.case(cid).state.value == "awaiting"  # the due day itself: still in time
        assert t.status(REQUESTED_PARTY).owes[0].id == cid
        now = dt.datetime(2025, 2, 11, 17, 0, tzinfo=dt.UTC)  # 00:00 on 12/02 in Hà Nội
        assert t.case(cid).state.value == "consent"
        with pytest.raises(TrackerError, match="does not exist yet"):
            t.case(cid, dt.date(2025, 1, 23))


def _alembic(t: Tracker, verb: str, revision: str) -> None:
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    with t.store.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        getattr(command, verb)(cfg, revision)


def test_migration_0003_backfills_the_projection_of_an_existing_log(
    db_url: str, py_engine: Engine
) -> None:
    """A database written before the projection existed (revision 0001: the log only) gets
    it on upgrade, rebuilt from the log, and answers exactly as one written with it."""
    history = [
        request("1-CV", "2025-01-24"),
        request("2-CV", "2025-01-24", requester="thuong_truc_dang_uy_khoi"),
        request("3-CV", "2025-01-27"),
        request("4-CV", "2025-01-27"),
        extension("1-CV", "2025-01-30", "2025-02-20"),
        answer("1-CV", "2025-02-18"),
        disagreement(
            "2-CV", "2025-01-29", lead="thuong_truc_dang_uy_khoi", others=(REQUESTED_PARTY,)
        ),
        withdrawal("3-CV", "2025-01-28"),
    ]
    days = [dt.date(2025, 1, d) for d in (24, 28, 31)] + [dt.date(2025, 2, d) for d in (10, 25)]
    with Tracker(db_url, engine=py_engine) as t:
        for ev in history:
            t.record(ev)
        written = t.store.projection()
        before = {d: t.status(REQUESTED_PARTY, d) for d in days}
        assert all(len(rows) > 0 for rows in written.values())
        _alembic(t, "downgrade", "0002")  # below the projection (and every later revision)
        assert not set(written) & set(sa.inspect(t.store.engine).get_table_names())
    with Tracker(db_url, engine=py_engine) as t:  # opening it migrates: 0003 backfills
        assert t.store.projection() == written
        assert {d: t.status(REQUESTED_PARTY, d) for d in days} == before
        assert before[days[-1]].consent and before[days[-1]].escalated


def test_the_rebuild_command_restores_a_damaged_projection(
    db_url: str, py_engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    from quyche_rules.tracker.rebuild import main

    with Tracker(db_url, engine=py_engine) as t:
        t.record(request("1-CV", "2025-01-24"))
        t.record(answer("1-CV", "2025-01-28"))
        written = t.store.projection()
        with t.store.engine.begin() as conn:
            for table in PROJECTION:
                conn.execute(sa.delete(table))
        assert t.cases(as_of=dt.date(2025, 3, 1)) == []
        assert main(["--db", db_url]) == 0
        assert capsys.readouterr().out == "projection rebuilt from 2 records; it had drifted\n"
        assert t.store.projection() == written
        assert t.cases(as_of=dt.date(2025, 3, 1))[0].state.value == "answered_on_time"


def test_a_read_does_not_wait_for_a_writer_on_sqlite(tmp_path: Path) -> None:
    """Reads begin deferred (WAL: a snapshot, no lock); only writes take BEGIN IMMEDIATE.
    A status asked while another process holds the write lock answers at once instead of
    waiting up to the 30 s busy timeout behind it."""
    import sqlite3
    import threading

    from quyche_rules.tracker.store import Store as TrackerStore

    store = TrackerStore(tmp_path / "t.db")
    store.counts()  # schema in place
    writer = sqlite3.connect(tmp_path / "t.db", isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # holds the write lock
    done = threading.Event()
    counted: list[dict[str, int]] = []

    def read() -> None:
        counted.append(store.counts())
        done.set()

    threading.Thread(target=read, daemon=True).start()
    try:
        assert done.wait(5), "a read waited for the writer's lock"
    finally:
        writer.execute("ROLLBACK")
        writer.close()
        store.close()
    assert counted and all(v == 0 for v in counted[0].values())


def test_migration_0008_and_rebuild_fill_each_cases_subject(
    db_url: str, py_engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    """A case carries its request's subject (``summary``): written with the record, filled
    by migration 0008 for a database recorded before it, and restored by a rebuild."""
    from quyche_rules.tracker.rebuild import main

    subject = "Xin ý kiến về dự thảo quy chế làm việc"
    with Tracker(db_url, engine=py_engine) as t:
        t.record({**request("1-CV", "2025-01-24"), "summary": subject})
        t.record(request("2-CV", "2025-01-24"))  # no subject given: None, not ""
        written = t.store.projection()
        day = dt.date(2025, 1, 27)
        subjects = {c.reference: c.summary for c in t.cases(as_of=day)}
        assert subjects == {"1-CV": subject, "2-CV": None}
        _alembic(t, "downgrade", "0005")  # the column is gone, the log keeps the subject
        columns = {c["name"] for c in sa.inspect(t.store.engine).get_columns("tracker_case_facts")}
        assert "summary" not in columns
    with Tracker(db_url, engine=py_engine) as t:  # opening it migrates: 0008 backfills
        assert t.store.projection() == written
        shown = t.status(REQUESTED_PARTY, day).owes
        assert {c.reference: c.summary for c in shown} == subjects
        with t.store.engine.begin() as conn:
            conn.execute(sa.update(PROJECTION[0]).values(summary=None))
        assert main(["--db", db_url]) == 0
        assert "it had drifted" in capsys.readouterr().out
        assert t.store.projection() == written
