"""The delivery layer's tables (SQLAlchemy Core): subscriptions, the outbox, calendar feed
tokens, and the hash chain over the service's decision log.

A ``MetaData`` of its own, every table prefixed ``delivery_`` or ``audit_``, created by
the one Alembic chain (revision 0005). What each table is for is told in
``delivery/__init__.py``; the chain's hash is defined here (``chain_hash``) because the
migration that chains an existing log must compute exactly what ``delivery.audit``
verifies, without importing an upper layer.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

metadata = sa.MetaData()

_SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_TS = sa.DateTime(timezone=True)

subscriptions = sa.Table(
    "delivery_subscriptions",
    metadata,
    sa.Column("sub_id", sa.String(16), primary_key=True),
    sa.Column("party", sa.String(100), nullable=False, index=True),
    sa.Column("url", sa.Text, nullable=False),
    # the Standard Webhooks signing secret ("whsec_..."): kept as is, since the worker must
    # sign with it (a hash could not sign); it is shown once, to whoever subscribed
    sa.Column("secret", sa.Text, nullable=False),
    sa.Column("kinds", sa.Text, nullable=False),  # kinds joined by a space
    sa.Column("remind_days", sa.Integer, nullable=False),
    sa.Column("created_by", sa.String(16), nullable=True),  # the key id, if by the service
    sa.Column("created_at", _TS, nullable=False),
    sa.Column("revoked_at", _TS, nullable=True),
)

outbox = sa.Table(
    "delivery_outbox",
    metadata,
    # stable per message (case + kind + date, or record + duty + party): the webhook-id
    sa.Column("message_id", sa.String(64), primary_key=True),
    sa.Column("sub_id", sa.String(16), nullable=False, index=True),
    sa.Column("party", sa.String(100), nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("case_id", sa.String(32), nullable=True),
    sa.Column("payload", sa.Text, nullable=False),
    sa.Column("created_at", _TS, nullable=False),
    # when the give-up clock started: created_at, or the last re-drive of a dead message
    sa.Column("since", _TS, nullable=False),
    sa.Column("status", sa.String(12), nullable=False),  # pending | delivered | dead
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("next_at", _TS, nullable=False),
    # a claim: the worker holding the message until then (SQLite has no SKIP LOCKED)
    sa.Column("lease_until", _TS, nullable=True),
    sa.Column("lease_owner", sa.String(64), nullable=True),
    sa.Column("last_error", sa.Text, nullable=True),
    sa.Column("delivered_at", _TS, nullable=True),
    sa.Index("ix_delivery_outbox_status_next", "status", "next_at"),
)

feed_tokens = sa.Table(
    "delivery_feed_tokens",
    metadata,
    sa.Column("token_id", sa.String(16), primary_key=True),
    sa.Column("token_sha256", sa.String(64), nullable=False),
    sa.Column("party", sa.String(100), nullable=False),
    sa.Column("label", sa.String(200), nullable=True),
    sa.Column("created_at", _TS, nullable=False),
    sa.Column("revoked_at", _TS, nullable=True),
)

chain = sa.Table(
    "audit_chain",
    metadata,
    sa.Column("seq", _SEQ, primary_key=True, autoincrement=False),
    sa.Column("kind", sa.String(16), nullable=False),  # decision | prune
    sa.Column("decision_id", sa.String(36), nullable=True, unique=True),
    sa.Column("detail", sa.Text, nullable=False),  # JSON: a prune's range and last hash
    sa.Column("prev_hash", sa.String(64), nullable=False),
    sa.Column("row_hash", sa.String(64), nullable=False),
)

GENESIS = "0" * 64


def _ts(v: Any) -> Any:
    """A timestamp as the hash sees it: UTC, ISO. SQLite gives back naive datetimes of what
    was written in UTC; PostgreSQL aware ones."""
    if isinstance(v, dt.datetime):
        if v.tzinfo is None:
            v = v.replace(tzinfo=dt.UTC)
        return v.astimezone(dt.UTC).isoformat()
    return v


def chain_hash(
    prev_hash: str, seq: int, kind: str, detail: str, decision: Mapping[str, Any] | None
) -> str:
    """sha256 over the previous hash, this link's own fields and the whole decision row (every
    column, as read back from the database): any edit, removal or reordering breaks it."""
    body = {
        "seq": int(seq),
        "kind": kind,
        "detail": detail,
        "decision": None if decision is None else {k: _ts(v) for k, v in decision.items()},
    }
    text = json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(f"{prev_hash}\n{text}".encode()).hexdigest()
