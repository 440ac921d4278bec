"""The subject of each case: ``tracker_case_facts.summary``, the request's ``summary``
(trích yếu), so the Morning page and ``quyche track status`` list cases by document number
and subject rather than by hash.

Backfilled here from the log: each case's opening record holds the event as JSON, whose
``summary`` (when the sender gave one) is copied to the case. Self-contained on purpose (it
reads ``tracker_records`` and writes the new column only), so a later change to the
tracker's code cannot change what this revision does; ``quyche track rebuild`` computes the
same column from the log through ``tracker.rows``.

Revision ID: 0008
Revises: 0005
Create Date: 2026-12-03
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0011"
branch_labels = None
depends_on = None

_CHUNK = 2000


def upgrade() -> None:
    op.add_column("tracker_case_facts", sa.Column("summary", sa.Text(), nullable=True))
    conn = op.get_bind()
    records = sa.table(
        "tracker_records", sa.column("seq", sa.Integer()), sa.column("event_json", sa.Text())
    )
    facts = sa.table(
        "tracker_case_facts",
        sa.column("opened_seq", sa.Integer()),
        sa.column("summary", sa.Text()),
    )
    opening = sa.select(facts.c.opened_seq).distinct().scalar_subquery()
    last = 0
    while True:  # in chunks: a large log never sits whole in memory
        rows = conn.execute(
            sa.select(records.c.seq, records.c.event_json)
            .where(records.c.seq > last, records.c.seq.in_(opening))
            .order_by(records.c.seq)
            .limit(_CHUNK)
        ).all()
        if not rows:
            return
        for seq, event_json in rows:
            summary = json.loads(event_json).get("summary")
            if isinstance(summary, str):
                conn.execute(
                    facts.update().where(facts.c.opened_seq == seq).values(summary=summary)
                )
        last = int(rows[-1][0])


def downgrade() -> None:
    with op.batch_alter_table("tracker_case_facts") as batch:
        batch.drop_column("summary")
