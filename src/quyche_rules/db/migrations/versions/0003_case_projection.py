"""The projection the status queries read: per case the facts its fold needs, per acting
record the facts of its event; a composite (party, case_id) index; backfilled from the log.

Why: reading every record behind a body's cases, decoding each event through its model
and folding them took seconds at 100k cases. The projection is derived (never a frozen
state: "as of" a date is still folded from dates), written in the same transaction as
each record, and rebuilt here from the log alone (``store.rebuild_projection``, which
reads only the stored JSON), so an existing database gets it on upgrade. (It calls
today's ``rebuild_projection``: a later revision that changes ``tracker_records`` must
freeze a copy of it here.)

Revision ID: 0003
Revises: 0001 on branch trackperf; 0002 (the service's tables, branch svc2) once merged
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
# one chain: 0001 (tracker log) → 0002 (service tables) → 0003 (this projection)
down_revision = "0002"
branch_labels = None
depends_on = None

SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "tracker_case_facts",
        sa.Column(
            "case_id", sa.String(32), sa.ForeignKey("tracker_cases.case_id"), primary_key=True
        ),
        sa.Column("doc_key", sa.String(64), nullable=False),
        sa.Column("rule_id", sa.String(100), nullable=False),
        sa.Column("obligated", sa.String(64), nullable=False),
        sa.Column("counterparties", sa.Text(), nullable=False),
        sa.Column("requester", sa.String(64), nullable=False),
        sa.Column("reference", sa.Text(), nullable=False),
        sa.Column("opened_seq", SEQ, nullable=False),
        sa.Column("opened_on", sa.Date(), nullable=False),
        sa.Column("opened_type", sa.String(64), nullable=False),
        sa.Column("due", sa.Date(), nullable=False),
        sa.Column("due_provisional", sa.Boolean(), nullable=False),
        sa.Column("silence_means", sa.String(32), nullable=True),
    )
    op.create_index("ix_tracker_case_facts_doc_key", "tracker_case_facts", ["doc_key"])
    op.create_table(
        "tracker_acts",
        sa.Column("record_seq", SEQ, sa.ForeignKey("tracker_records.seq"), primary_key=True),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("event_date", sa.Date(), nullable=False),
        sa.Column("requested", sa.String(64), nullable=True),
        sa.Column("parties", sa.Text(), nullable=False),
        sa.Column("reply_by", sa.Date(), nullable=True),
    )
    # a body's cases straight from the index, without a lookup of each party row
    op.drop_index("ix_tracker_case_parties_party", "tracker_case_parties")
    op.create_index(
        "ix_tracker_case_parties_party_case", "tracker_case_parties", ["party", "case_id"]
    )
    from quyche_rules.tracker.rows import rebuild_projection

    # the columns later revisions add are theirs to fill (0008: the summary; 0012: marks)
    later = {"summary", "settled_on", "folded_from", "lapses_to_consent"}
    rebuild_projection(op.get_bind(), skip=frozenset(later))


def downgrade() -> None:
    op.drop_index("ix_tracker_case_parties_party_case", "tracker_case_parties")
    op.create_index("ix_tracker_case_parties_party", "tracker_case_parties", ["party"])
    op.drop_table("tracker_acts")
    op.drop_table("tracker_case_facts")
