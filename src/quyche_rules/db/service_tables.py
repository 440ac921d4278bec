"""The HTTP service's tables: API keys (hashed) and the append-only decision log.

A ``MetaData`` of its own, every table prefixed ``service_``, so the service shares one
database with the tracker without either owning the other's tables; created by the one
Alembic chain (revision 0002).
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

api_keys = sa.Table(
    "service_api_keys",
    metadata,
    sa.Column("key_id", sa.String(16), primary_key=True),
    # sha256 of the whole key: keys are 256 random bits, so a slow hash buys nothing
    # and would cost every request
    sa.Column("key_sha256", sa.String(64), nullable=False),
    sa.Column("party", sa.String(100), nullable=True),
    sa.Column("admin", sa.Boolean, nullable=False, default=False),
    sa.Column("label", sa.String(200), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
    # the profile the key answers under (a profile's name); NULL: the service's own
    sa.Column("profile", sa.String(100), nullable=True),
)

#: one token bucket per key, shared by every worker and instance (revision 0010; UNLOGGED
#: on PostgreSQL: a throttle, not a record)
rate_buckets = sa.Table(
    "service_rate_buckets",
    metadata,
    sa.Column("key_id", sa.String(16), primary_key=True),
    sa.Column("tat", sa.Float, nullable=False),  # theoretical arrival time (epoch seconds)
)

decisions = sa.Table(
    "service_decisions",
    metadata,
    sa.Column("decision_id", sa.String(36), primary_key=True),
    sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("key_id", sa.String(16), nullable=False),
    sa.Column("asked_by_party", sa.String(100), nullable=True),
    # every party the input or the answer names: who may read the decision back
    sa.Column("parties", sa.Text, nullable=False),
    sa.Column("receipt", sa.Text, nullable=False),
    sa.Column("input", sa.Text, nullable=False),
    sa.Column("result", sa.Text, nullable=False),
)

#: per key and day (in Vietnam), how many decisions it stored: the quota's count, kept in
#: the database so that every instance sharing it counts the same (revision 0006)
key_days = sa.Table(
    "service_key_days",
    metadata,
    sa.Column("key_id", sa.String(16), primary_key=True),
    sa.Column("day", sa.Date, primary_key=True),
    sa.Column("decisions", sa.Integer, nullable=False),
)
