"""Several instances and several provinces on one database: a key's profile, shared rate
buckets.

``service_api_keys.profile``: the profile a key answers under (a profile's name, e.g.
``dak-lak``), so that one service loading several provinces answers each key under its
own; NULL keeps the old meaning (the service's own profile, or the regulation alone).

``service_rate_buckets``: one bucket per key (its theoretical arrival time, the generic
cell rate algorithm: one number per key), shared by every worker and instance on the
database, so a key's rate limit is the same however many processes answer it. The buckets
are a throttle, not a record: on PostgreSQL the table is ``UNLOGGED`` (no WAL, no fsync;
emptied by a crash, which only refills every bucket).

Revision ID: 0010
Revises: 0005
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # a database made by an earlier service's ``create_all`` (adopted by 0002) may have
    # been made from metadata that already had these: add only what is missing
    bind = op.get_bind()
    inspector = sa.inspect(bind)
    columns = {c["name"] for c in inspector.get_columns("service_api_keys")}
    if "profile" not in columns:
        with op.batch_alter_table("service_api_keys") as batch:
            batch.add_column(sa.Column("profile", sa.String(100), nullable=True))
    if "service_rate_buckets" not in set(inspector.get_table_names()):
        op.create_table(
            "service_rate_buckets",
            sa.Column("key_id", sa.String(16), primary_key=True),
            # when the bucket is full again, in seconds since the epoch
            sa.Column("tat", sa.Float, nullable=False),
            prefixes=["UNLOGGED"] if bind.dialect.name == "postgresql" else [],
        )


def downgrade() -> None:
    op.drop_table("service_rate_buckets")
    with op.batch_alter_table("service_api_keys") as batch:
        batch.drop_column("profile")
