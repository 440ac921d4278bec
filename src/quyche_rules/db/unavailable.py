"""The one answer to "is the database unavailable?", for the CLI and the service alike.

This layer opens every connection, so it is the one that knows which SQLAlchemy and
driver errors mean *the database cannot serve now* — connection refused or lost
(PostgreSQL stopped or restarting), a full disk, a read-only or corrupt file, a lock held
too long, a pool exhausted — as opposed to a bug (a constraint violated, a bad
statement, a value the column refuses). An outage ends without anyone touching the
request: the CLI exits 1 (a retry may fix it), the service answers 503 with
``Retry-After``. A bug must not be retried forever: the CLI exits 2, the service 500.
"""

from __future__ import annotations

from sqlalchemy import exc as sa_exc

from quyche_rules.errors import DatabaseError

#: DBAPI errors that are a fault in the statement or the data, never an outage
_BUGS = (sa_exc.IntegrityError, sa_exc.ProgrammingError, sa_exc.DataError)


class DatabaseUnavailable(DatabaseError):
    """The database does not answer or does not accept a write now; nothing was
    recorded, and the same request may succeed later."""

    default_code = "database_unavailable"


def is_unavailable(exc: BaseException) -> bool:
    """Is ``exc`` (or an error it was raised from) the database being unavailable?"""
    if isinstance(exc, DatabaseUnavailable):
        return True
    if isinstance(exc, sa_exc.TimeoutError | sa_exc.DisconnectionError):
        return True
    if isinstance(exc, sa_exc.DBAPIError) and not isinstance(exc, _BUGS):
        return True
    cause = exc.__cause__ or exc.__context__
    return cause is not None and cause is not exc and is_unavailable(cause)


def error_kind(exc: BaseException) -> str:
    """A short, fixed name of the failure for a message or a log line: the driver's
    class name, never its message (which can quote a statement's parameters, that is an
    event's personal data)."""
    return type(getattr(exc, "orig", None) or exc).__name__


def unavailable(exc: BaseException) -> DatabaseUnavailable | None:
    """``exc`` as the one ``DatabaseUnavailable`` (naming only the kind of failure), or
    None when it is not an outage."""
    if isinstance(exc, DatabaseUnavailable):
        return exc
    if not is_unavailable(exc):
        return None
    return DatabaseUnavailable(
        f"database: không trả lời hoặc không ghi được ({error_kind(exc)}); thử lại sau / "
        f"not answering or not writable ({error_kind(exc)}); retry later"
    )
