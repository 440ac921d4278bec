"""The one database the tracker and the service share: every table's SQLAlchemy metadata
(``tracker_tables``, ``service_tables``), opening and naming it (``connect``) and the one
Alembic chain (``migrations/``).

May import: errors. Imported by: tracker, service (and the delivery and audit work above).
"""
