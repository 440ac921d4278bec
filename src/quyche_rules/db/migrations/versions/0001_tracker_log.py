"""The tracker's log, its case index and lifecycle targets (issue 13).

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "tracker_records",
        sa.Column("seq", SEQ, primary_key=True, autoincrement=True),
        sa.Column("doc_key", sa.String(64), nullable=False, unique=True),
        sa.Column("event_type", sa.String(64), nullable=False),
        sa.Column("sender", sa.String(64), nullable=True),
        sa.Column("reference", sa.Text(), nullable=True),
        sa.Column("event_date", sa.Date(), nullable=False),
        sa.Column("event_json", sa.Text(), nullable=False),
        sa.Column("decision_json", sa.Text(), nullable=False),
        sa.Column("rulebook_hash", sa.String(64), nullable=False),
        sa.Column("engine_version", sa.String(100), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "tracker_cases",
        sa.Column("case_id", sa.String(32), primary_key=True),
        sa.Column("record_seq", SEQ, sa.ForeignKey("tracker_records.seq"), nullable=False),
        sa.Column("doc_key", sa.String(64), nullable=False),
        sa.Column("rule_id", sa.String(100), nullable=False),
        sa.Column("due", sa.Date(), nullable=False),
    )
    op.create_index("ix_tracker_cases_doc_key", "tracker_cases", ["doc_key"])
    op.create_table(
        "tracker_case_parties",
        sa.Column(
            "case_id", sa.String(32), sa.ForeignKey("tracker_cases.case_id"), primary_key=True
        ),
        sa.Column("party", sa.String(64), primary_key=True),
        sa.Column("role", sa.String(16), primary_key=True),
    )
    op.create_index("ix_tracker_case_parties_party", "tracker_case_parties", ["party"])
    op.create_table(
        "tracker_targets",
        sa.Column("record_seq", SEQ, sa.ForeignKey("tracker_records.seq"), primary_key=True),
        sa.Column("doc_key", sa.String(64), primary_key=True),
    )
    op.create_index("ix_tracker_targets_doc_key", "tracker_targets", ["doc_key"])


def downgrade() -> None:
    op.drop_table("tracker_targets")
    op.drop_table("tracker_case_parties")
    op.drop_table("tracker_cases")
    op.drop_table("tracker_records")
