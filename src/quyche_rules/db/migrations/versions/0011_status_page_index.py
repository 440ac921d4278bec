"""Indexes for a body's status page: its cases by the body they oblige, in due-date order,
and the cases where it is a counterparty.

``tracker.status_page`` counts a body's cases per group and reads the first page of a
group in (due date, case id) order. By the obligated body, then due date, then id, both
become one walk along this index, which also holds every column the classification reads
(SQLite answers from the index alone), instead of a lookup of each case by its id.

Revision ID: 0011
Revises: 0005
Create Date: 2026-12-03
"""

from __future__ import annotations

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

NAME = "ix_tracker_case_facts_obligated_due"
COLUMNS = [
    "obligated",
    "due",
    "case_id",
    "opened_on",
    "opened_seq",
    "silence_means",
    "due_provisional",
    "doc_key",
]


#: the cases where a body is a counterparty, without reading each row for its role
ROLES = "ix_tracker_case_parties_party_role"


def upgrade() -> None:
    op.create_index(NAME, "tracker_case_facts", COLUMNS)
    op.create_index(ROLES, "tracker_case_parties", ["party", "role", "case_id"])


def downgrade() -> None:
    op.drop_index(ROLES, table_name="tracker_case_parties")
    op.drop_index(NAME, table_name="tracker_case_facts")
