"""Delivery and audit: webhook subscriptions, the outbox, calendar feed tokens, and the hash
chain over the service's decision log.

The columns are spelled out here, as migrations must be (a later change to
``db.delivery_tables`` needs a revision of its own). A database that already holds
decisions gets them chained in the order they were decided, so ``quyche audit verify``
passes on it from the start and covers every decision after it.

Revision ID: 0005
Revises: 0003
Create Date: 2026-12-03
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

from quyche_rules.db.delivery_tables import GENESIS, chain, chain_hash
from quyche_rules.db.service_tables import decisions

revision = "0005"
down_revision = "0003"
branch_labels = None
depends_on = None

_SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "delivery_subscriptions",
        sa.Column("sub_id", sa.String(16), primary_key=True),
        sa.Column("party", sa.String(100), nullable=False, index=True),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("secret", sa.Text, nullable=False),
        sa.Column("kinds", sa.Text, nullable=False),
        sa.Column("remind_days", sa.Integer, nullable=False),
        sa.Column("created_by", sa.String(16), nullable=True),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("revoked_at", _TS, nullable=True),
    )
    op.create_table(
        "delivery_outbox",
        sa.Column("message_id", sa.String(64), primary_key=True),
        sa.Column("sub_id", sa.String(16), nullable=False, index=True),
        sa.Column("party", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("case_id", sa.String(32), nullable=True),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("since", _TS, nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_at", _TS, nullable=False),
        sa.Column("lease_until", _TS, nullable=True),
        sa.Column("lease_owner", sa.String(64), nullable=True),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("delivered_at", _TS, nullable=True),
        sa.Index("ix_delivery_outbox_status_next", "status", "next_at"),
    )
    op.create_table(
        "delivery_feed_tokens",
        sa.Column("token_id", sa.String(16), primary_key=True),
        sa.Column("token_sha256", sa.String(64), nullable=False),
        sa.Column("party", sa.String(100), nullable=False),
        sa.Column("label", sa.String(200), nullable=True),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("revoked_at", _TS, nullable=True),
    )
    op.create_table(
        "audit_chain",
        sa.Column("seq", _SEQ, primary_key=True, autoincrement=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("decision_id", sa.String(36), nullable=True, unique=True),
        sa.Column("detail", sa.Text, nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("row_hash", sa.String(64), nullable=False),
    )
    _chain_existing()


def _chain_existing() -> None:
    conn = op.get_bind()
    rows = conn.execute(
        sa.select(decisions).order_by(decisions.c.decided_at, decisions.c.decision_id)
    ).all()
    prev = GENESIS
    links = []
    for seq, row in enumerate(rows, start=1):
        detail = json.dumps({})
        h = chain_hash(prev, seq, "decision", detail, row._asdict())
        links.append(
            {
                "seq": seq,
                "kind": "decision",
                "decision_id": row.decision_id,
                "detail": detail,
                "prev_hash": prev,
                "row_hash": h,
            }
        )
        prev = h
    if links:
        conn.execute(chain.insert(), links)


def downgrade() -> None:
    for name in ("audit_chain", "delivery_feed_tokens", "delivery_outbox",
                 "delivery_subscriptions"):  # fmt: skip
        op.drop_table(name)
