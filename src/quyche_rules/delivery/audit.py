"""Audit of decisions: a hash chain over the service's decision log, its verification,
retention (pruning with an anchor), and listing / export with masking.

The chain (``audit_chain``, one per database) has one link per decision, written in the
transaction that inserts the decision (``service.store`` calls ``append_links``): link N
holds ``sha256(hash of link N-1, N, its kind, its detail, the whole decision row)``.
Appending is serialised (PostgreSQL: an advisory transaction lock; SQLite: the write
lock every writing transaction takes first), so the chain is a line, never a tree.

``verify`` recomputes every link from the rows as stored and names the first that does
not hold: a decision changed (its hash differs), removed (its link points at nothing, or
a link is missing: the next one's previous hash differs), reordered (links swapped: the
previous hashes differ), or inserted behind the chain's back (a decision with no link).
What it cannot see is a rewrite of the whole chain by someone who can write the
database: keep the head hash ``verify`` prints somewhere else (a ticket, a printed
report) and compare — the documented practice, as with any unkeyed chain.

Pruning (retention) deletes a prefix of the chain and its decisions, and appends a link of
kind ``prune`` recording the range, the count and the last pruned hash: the first
remaining link must point at exactly that hash, so the chain stays verifiable, and the
pruning itself is a chained, auditable record.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from quyche_rules.db.delivery_tables import GENESIS, chain, chain_hash
from quyche_rules.db.service_tables import decisions, key_days

_PG_LOCK = 0x71756963686175  # advisory lock serialising appends to the chain
CHAIN_LOCK = _PG_LOCK  #: the same, for the service's log writer (``service.logsql``)
DECISION, PRUNE = "decision", "prune"
MASK = "[đã che / masked]"
MASKED_FIELDS = frozenset({"summary"})  # free text that may name a person


def _lock(conn: Connection) -> None:
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK})


def _head(conn: Connection) -> tuple[int, str]:
    row = conn.execute(
        sa.select(chain.c.seq, chain.c.row_hash).order_by(chain.c.seq.desc()).limit(1)
    ).first()
    return (0, GENESIS) if row is None else (int(row.seq), str(row.row_hash))


def append_links(conn: Connection, decision_ids: Sequence[str]) -> None:
    """Chain these just-inserted decisions, in order, inside the caller's transaction.
    The rows are read back first, so the hash covers what the database stores."""
    if not decision_ids:
        return
    _lock(conn)
    seq, prev = _head(conn)
    stored = {
        r.decision_id: r._asdict()
        for r in conn.execute(
            sa.select(decisions).where(decisions.c.decision_id.in_(list(decision_ids)))
        )
    }
    links = []
    for did in decision_ids:
        seq += 1
        h = chain_hash(prev, seq, DECISION, "{}", stored[did])
        links.append({"seq": seq, "kind": DECISION, "decision_id": did, "detail": "{}",
                      "prev_hash": prev, "row_hash": h})  # fmt: skip
        prev = h
    conn.execute(chain.insert(), links)


@dataclass(frozen=True)
class Verdict:
    ok: bool
    links: int
    head: str
    problem: str | None = None  # one line naming the first row that does not hold


def verify(engine: Engine) -> Verdict:
    """Recompute the chain; the first broken link is named by its sequence number and its
    decision id."""
    with engine.connect() as conn:
        links = conn.execute(sa.select(chain).order_by(chain.c.seq)).all()
        rows = {r.decision_id: r._asdict() for r in conn.execute(sa.select(decisions))}
    if not links:
        extra = sorted(rows)
        if extra:
            return Verdict(False, 0, GENESIS, f"decision {extra[0]}: not in the chain")
        return Verdict(True, 0, GENESIS)
    first = links[0]
    expected = GENESIS
    if int(first.seq) != 1:
        anchors = [json.loads(x.detail) for x in links if x.kind == PRUNE]
        anchor = next((a for a in anchors if a.get("through_seq") == int(first.seq) - 1), None)
        if anchor is None:
            return Verdict(False, 0, GENESIS, f"link {first.seq}: links 1-{int(first.seq) - 1} "
                           "are missing and no prune record covers them")  # fmt: skip
        expected = str(anchor["last_hash"])
    prev_seq = int(first.seq) - 1
    chained: set[str] = set()
    for n, link in enumerate(links):
        name = f"link {link.seq}" + (f" (decision {link.decision_id})" if link.decision_id else
                                     f" ({link.kind})")  # fmt: skip
        if int(link.seq) != prev_seq + 1:
            return Verdict(False, n, expected, f"link {prev_seq + 1}: missing (removed)")
        if link.prev_hash != expected:
            return Verdict(False, n, expected, f"{name}: does not follow the link before it "
                           "(a row was changed, removed or reordered)")  # fmt: skip
        decision = None
        if link.kind == DECISION:
            decision = rows.get(link.decision_id)
            if decision is None:
                return Verdict(False, n, expected, f"{name}: the decision was removed")
            chained.add(str(link.decision_id))
        if chain_hash(link.prev_hash, int(link.seq), link.kind, link.detail, decision) != (
            link.row_hash
        ):
            return Verdict(False, n, expected, f"{name}: changed after it was written")
        expected = str(link.row_hash)
        prev_seq = int(link.seq)
    unchained = sorted(set(rows) - chained)
    if unchained:
        why = f"decision {unchained[0]}: not in the chain (written around it)"
        return Verdict(False, len(links), expected, why)
    return Verdict(True, len(links), expected)


@dataclass(frozen=True)
class Pruned:
    decisions: int
    through_seq: int
    anchor_seq: int
    #: per-key day counts of the quota deleted with them (``service_key_days``)
    key_days: int = 0


#: the quota's days are days in Vietnam (``service.quota``)
VIETNAM = dt.timezone(dt.timedelta(hours=7), "ICT")


def prune(engine: Engine, before: dt.date, now: dt.datetime | None = None) -> Pruned:
    """Delete the decisions decided before ``before`` (00:00 UTC) that form a prefix of the
    chain, and append a ``prune`` link recording what went. One transaction.

    The quota's per-key counts of the same days go with them (``prune_key_days``), so
    retention leaves nothing of those days behind."""
    now = now or dt.datetime.now(dt.UTC)
    cutoff = dt.datetime.combine(before, dt.time(), tzinfo=dt.UTC)
    with engine.begin() as conn:
        _lock(conn)
        counts = prune_key_days(conn, before, now)
        q = (
            sa.select(
                chain.c.seq,
                chain.c.kind,
                chain.c.decision_id,
                chain.c.row_hash,
                decisions.c.decided_at,
            )
            .select_from(chain.outerjoin(decisions, decisions.c.decision_id == chain.c.decision_id))
            .order_by(chain.c.seq)
        )
        gone: list[Any] = []
        for link in conn.execute(q):
            if link.kind == PRUNE or (
                link.decided_at is not None and _utc(link.decided_at) < cutoff
            ):
                gone.append(link)
            else:
                break
        ids = [g.decision_id for g in gone if g.decision_id]
        head_seq, head_hash = _head(conn)
        if not ids:
            return Pruned(0, 0, 0, counts)
        last = gone[-1]
        for i in range(0, len(ids), 500):
            conn.execute(sa.delete(decisions).where(decisions.c.decision_id.in_(ids[i : i + 500])))
        conn.execute(sa.delete(chain).where(chain.c.seq <= int(last.seq)))
        detail = json.dumps({"before": before.isoformat(), "count": len(ids),
                             "through_seq": int(last.seq), "last_hash": str(last.row_hash),
                             "at": now.isoformat(), "key_days": counts},
                            sort_keys=True)  # fmt: skip
        seq = head_seq + 1
        h = chain_hash(head_hash, seq, PRUNE, detail, None)
        conn.execute(chain.insert().values(seq=seq, kind=PRUNE, decision_id=None, detail=detail,
                                           prev_hash=head_hash, row_hash=h))  # fmt: skip
    return Pruned(len(ids), int(last.seq), seq, counts)


def prune_key_days(conn: Connection, before: dt.date, now: dt.datetime) -> int:
    """Delete the quota's counts (``service_key_days``) of the days entirely before the
    prune point: a day in Vietnam (UTC+7) ends at 17:00 UTC, so day D is over by
    ``before`` 00:00 UTC exactly when D < ``before``. Never today's, nor a later day's,
    whatever ``before`` says: the count of a day still running is what holds a key to its
    quota, and losing it would let the key store its quota again. Returns rows deleted."""
    last = min(before, now.astimezone(VIETNAM).date())
    res = conn.execute(sa.delete(key_days).where(key_days.c.day < last))
    return max(int(res.rowcount or 0), 0)


def _utc(v: dt.datetime) -> dt.datetime:
    return v.replace(tzinfo=dt.UTC) if v.tzinfo is None else v.astimezone(dt.UTC)


# --- reading back: a page at a time, and an export ------------------------------------------


def _mask(data: Any) -> Any:
    if isinstance(data, dict):
        return {k: (MASK if k in MASKED_FIELDS and v else _mask(v)) for k, v in data.items()}
    if isinstance(data, list):
        return [_mask(v) for v in data]
    return data


def encode_cursor(decided_at: dt.datetime, decision_id: str) -> str:
    raw = f"{_utc(decided_at).isoformat()}|{decision_id}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[dt.datetime, str]:
    """Raises ValueError for a cursor this module did not make."""
    raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    at, _, did = raw.partition("|")
    if not did:
        raise ValueError("cursor")
    return dt.datetime.fromisoformat(at), did


def decisions_page(
    engine: Engine,
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
    party: str | None = None,
    rule: str | None = None,
    after: tuple[dt.datetime, str] | None = None,
    limit: int = 100,
    unmasked: bool = False,
) -> tuple[list[dict[str, Any]], str | None]:
    """Decisions in (decided_at, id) order from ``start`` (inclusive) to ``end`` (exclusive,
    dates in UTC), of one body (named in the decision) and one rule (in its result); the
    next cursor, or None at the end."""
    got: list[dict[str, Any]] = []
    it = iter_decisions(engine, start=start, end=end, party=party, rule=rule, after=after,
                        unmasked=unmasked)  # fmt: skip
    for d in it:
        if len(got) == limit:
            last = got[-1]
            return got, encode_cursor(dt.datetime.fromisoformat(last["decided_at"]),
                                      last["decision_id"])  # fmt: skip
        got.append(d)
    return got, None


def iter_decisions(
    engine: Engine,
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
    party: str | None = None,
    rule: str | None = None,
    after: tuple[dt.datetime, str] | None = None,
    unmasked: bool = False,
    chunk: int = 500,
) -> Iterator[dict[str, Any]]:
    """Every matching decision, read in chunks (an export of years never sits in memory)."""
    d = decisions
    base = sa.select(d)
    if start is not None:
        base = base.where(d.c.decided_at >= dt.datetime.combine(start, dt.time(), dt.UTC))
    if end is not None:
        base = base.where(d.c.decided_at < dt.datetime.combine(end, dt.time(), dt.UTC))
    if party is not None:
        base = base.where(d.c.parties.contains(json.dumps(party), autoescape=True))
    if rule is not None:
        base = base.where(d.c.result.contains(json.dumps(rule), autoescape=True))
    while True:
        q = base
        if after is not None:
            at, did = after
            q = q.where(sa.or_(d.c.decided_at > at, sa.and_(d.c.decided_at == at,
                                                             d.c.decision_id > did)))  # fmt: skip
        with engine.connect() as conn:
            rows = conn.execute(q.order_by(d.c.decided_at, d.c.decision_id).limit(chunk)).all()
        for r in rows:
            out = _decision_json(r._asdict(), unmasked)
            if party is not None and party not in out["parties"]:
                continue
            if rule is not None and rule not in json.dumps(out["result"], ensure_ascii=False):
                continue
            yield out
        if len(rows) < chunk:
            return
        after = (rows[-1].decided_at, rows[-1].decision_id)


def _decision_json(row: dict[str, Any], unmasked: bool) -> dict[str, Any]:
    data = json.loads(row["input"])
    return {
        "decision_id": row["decision_id"],
        "decided_at": _utc(row["decided_at"]).isoformat(),
        "kind": row["kind"],
        "key_id": row["key_id"],
        "asked_by_party": row["asked_by_party"],
        "parties": json.loads(row["parties"]),
        "receipt": json.loads(row["receipt"]),
        "input": data if unmasked else _mask(data),
        "result": json.loads(row["result"]),
    }
