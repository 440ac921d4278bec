"""The decision log's hash chain: verify passes on a live log, and fails naming the row
after a direct edit, deletion or reordering in the database (SQLite and PostgreSQL);
pruning keeps it verifiable; exports mask free text unless asked."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Callable, Iterator

import pytest
import sqlalchemy as sa

from quyche_rules.cli.main import main
from quyche_rules.db.delivery_tables import chain
from quyche_rules.db.service_tables import decisions, key_days
from quyche_rules.delivery import audit
from quyche_rules.service.store import DecisionRecord, Store

T0 = dt.datetime(2026, 1, 5, 2, 0, tzinfo=dt.UTC)


def record(i: int, party: str = "ban_noi_chinh_tinh_uy") -> DecisionRecord:
    return DecisionRecord(
        decision_id=str(uuid.UUID(int=i + 1)),
        decided_at=T0 + dt.timedelta(days=i, microseconds=123),
        kind="notify",
        key_id="k0000001",
        asked_by_party=None,
        parties=(party,),
        receipt={"n": i},
        input={"type": "coordination_requested", "summary": f"Ông Nguyễn Văn {i}"},
        result=[{"rule_id": f"art{i % 3}.1"}],
    )


def fill(s: Store) -> None:
    for i in range(0, 10, 2):  # in batches of two, as the group-commit writer does
        s.append_decisions([record(i), record(i + 1)])


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    s = Store(db_url)
    s.create_tables()
    fill(s)
    yield s
    s.engine.dispose()


def cli_verify(db_url: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    with pytest.raises(SystemExit) as ex:
        main(["audit", "verify", "--db", db_url])
    out = capsys.readouterr()
    return int(ex.value.code or 0), out.out + out.err


def did(i: int) -> str:
    return str(uuid.UUID(int=i + 1))


Tamper = Callable[[sa.Connection], None]


def _edit(conn: sa.Connection) -> None:
    conn.execute(decisions.update().where(decisions.c.decision_id == did(4))
                 .values(result='[{"rule_id":"art9.9"}]'))  # fmt: skip


def _delete(conn: sa.Connection) -> None:
    conn.execute(decisions.delete().where(decisions.c.decision_id == did(6)))
    conn.execute(chain.delete().where(chain.c.decision_id == did(6)))


def _swap(conn: sa.Connection) -> None:
    conn.execute(chain.update().where(chain.c.seq == 3).values(seq=-3))
    conn.execute(chain.update().where(chain.c.seq == 4).values(seq=3))
    conn.execute(chain.update().where(chain.c.seq == -3).values(seq=4))


def _insert(conn: sa.Connection) -> None:
    row = {**record(50).__dict__}
    row["parties"] = json.dumps(list(row["parties"]))
    for k in ("receipt", "input", "result"):
        row[k] = json.dumps(row[k])
    conn.execute(decisions.insert().values(**row))


TAMPERS: list[tuple[Tamper, str]] = [
    (_edit, f"link 5 (decision {did(4)}): changed after it was written"),
    (_delete, "link 7: missing (removed)"),
    (_swap, f"link 3 (decision {did(3)}): does not follow the link before it"),
    (_insert, f"decision {did(50)}: not in the chain"),
]


def test_verify_names_the_first_row_tampered_with(
    store: Store, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each tamper on a fresh log of ten decisions (one database per kind, emptied
    between them: a PostgreSQL database per case would cost seconds each)."""
    for tamper, named in TAMPERS:
        code, out = cli_verify(db_url, capsys)
        assert code == 0 and "10 links" in out, out
        with store.engine.begin() as conn:
            tamper(conn)
        code, out = cli_verify(db_url, capsys)
        assert code == 1 and named in out, (tamper.__name__, out)
        with store.engine.begin() as conn:
            conn.execute(chain.delete())
            conn.execute(decisions.delete())
        fill(store)


def test_prune_keeps_the_chain_verifiable_and_leaves_a_record(
    store: Store, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as ex:
        main(["decisions", "prune", "--before", "2026-01-09", "--db", db_url])
    assert ex.value.code == 0
    got = json.loads(capsys.readouterr().out)
    # the quota's counts of 5-8/1 (days in Vietnam, all over before 9/1 00:00 UTC) go too
    assert got == {"pruned": 4, "through_link": 4, "record_link": 11, "key_days": 4}
    assert audit.verify(store.engine).ok
    store.append_decisions([record(20)])  # the chain goes on after the record
    v = audit.verify(store.engine)
    assert v.ok and v.links == 8, v
    # removing the prune record breaks it, naming the gap
    with store.engine.begin() as conn:
        conn.execute(chain.delete().where(chain.c.kind == "prune"))
    v = audit.verify(store.engine)
    assert not v.ok and v.problem is not None and "no prune record covers them" in v.problem


def key_day_counts(s: Store) -> dict[dt.date, int]:
    with s.engine.connect() as conn:
        return {r.day: int(r.decisions) for r in conn.execute(sa.select(key_days))}


def test_prune_takes_the_quota_counts_of_the_days_it_ended_never_todays(store: Store) -> None:
    """One decision a day, 5/1 to 14/1/2026 (09:00 in Vietnam), each counted for the quota
    (``service_key_days``). Pruning before a day deletes the counts of the days entirely
    before it; never the count of today in Vietnam (nor a later day), whatever ``before``
    says, or a key could store its day's quota again; ``audit verify`` still passes."""
    days = [dt.date(2026, 1, 5) + dt.timedelta(days=i) for i in range(10)]
    assert key_day_counts(store) == dict.fromkeys(days, 1)
    got = audit.prune(store.engine, dt.date(2026, 1, 9), now=T0 + dt.timedelta(days=30))
    assert (got.decisions, got.key_days) == (4, 4)
    assert sorted(key_day_counts(store)) == days[4:]
    assert audit.verify(store.engine).ok
    # 23:59 on 12/1 in Vietnam (16:59 UTC): today is 12/1, its count stays, as do later ones
    late = dt.datetime(2026, 1, 12, 16, 59, tzinfo=dt.UTC)
    got = audit.prune(store.engine, dt.date(2026, 1, 30), now=late)
    assert got.key_days == 3  # 9, 10 and 11/1
    assert sorted(key_day_counts(store)) == days[7:]
    assert store.decisions_on("k0000001", dt.date(2026, 1, 12)) == 1  # the quota still holds
    assert audit.verify(store.engine).ok
    # one minute later it is 13/1 in Vietnam: 12/1 is over, its count may go
    got = audit.prune(store.engine, dt.date(2026, 1, 30), now=late + dt.timedelta(minutes=1))
    assert got.key_days == 1 and sorted(key_day_counts(store)) == days[8:]
    assert audit.verify(store.engine).ok
    # the prune record says how many counts went (the second pruning's record: it pruned
    # the first record with the decisions; the third pruned no decision, so no record)
    with store.engine.connect() as conn:
        q = sa.select(chain.c.detail).where(chain.c.kind == "prune")
        assert [json.loads(d)["key_days"] for d in conn.execute(q).scalars()] == [3]


def test_export_masks_free_text_unless_asked(
    store: Store, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    def export(*extra: str) -> list[dict[str, object]]:
        with pytest.raises(SystemExit) as ex:
            main(["decisions", "export", "--from", "2026-01-06", "--to", "2026-01-09",
                  "--db", db_url, *extra])  # fmt: skip
        assert ex.value.code == 0
        return [json.loads(line) for line in capsys.readouterr().out.splitlines()]

    rows = export()
    assert [r["decision_id"] for r in rows] == [did(1), did(2), did(3)]
    assert {r["input"]["summary"] for r in rows} == {audit.MASK}  # type: ignore[index]
    assert export("--unmasked")[0]["input"]["summary"] == "Ông Nguyễn Văn 1"  # type: ignore[index]
    assert [r["decision_id"] for r in export("--rule", "art0.1")] == [did(3)]
    # a page at a time, by cursor
    page, cur = audit.decisions_page(store.engine, limit=4)
    assert len(page) == 4 and cur is not None
    rest, end = audit.decisions_page(store.engine, after=audit.decode_cursor(cur), limit=100)
    assert [r["decision_id"] for r in page + rest] == [did(i) for i in range(10)] and end is None
