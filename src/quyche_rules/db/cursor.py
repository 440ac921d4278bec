"""Pre-built SQL run on the driver's cursor of a SQLAlchemy connection, inside its
transaction: for the few statements a hot path runs on every write.

Built with SQLAlchemy's expression language, a statement costs far more CPU than the
database spends on it (compilation, cache keys, parameter and result processing: about
0.1 ms each, several times a small indexed INSERT on SQLite). A path that runs the same
handful of statements for every record writes their text once per dialect and runs it
here. Two things keep it the same as SQLAlchemy would have done:

* values are bound as SQLAlchemy's own types bind them (``binder``: on SQLite a date is
  stored as ISO text, a timestamp in SQLAlchemy's format, a boolean as 0/1; psycopg takes
  them as they are), so a row written here reads back through SQLAlchemy unchanged;
* a driver error is raised as SQLAlchemy's (``IntegrityError``, ``OperationalError``…),
  so callers that retry on a conflict keep working, without the statement's parameters
  (records may name people; errors reach logs).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

Bind = Callable[[Any], Any]


def binder(conn: Connection, column: sa.Column[Any]) -> Bind | None:
    """How SQLAlchemy binds a value of ``column`` on this connection's dialect (None: as
    it is)."""
    dialect = conn.dialect
    process: Bind | None = column.type.dialect_impl(dialect).bind_processor(dialect)
    return process


def marks(dialect: str, n: int) -> str:
    """``n`` parameter markers of ``dialect``, comma-separated."""
    return ", ".join(["?" if dialect == "sqlite" else "%s"] * n)


class DriverCursor:
    """A cursor of a driver's connection (in its transaction), raising SQLAlchemy's
    errors. Close it (``with``) before the connection's next statement."""

    def __init__(self, driver: Any, dialect: sa.Dialect) -> None:
        self.dialect = dialect
        self.error: type[Exception] = dialect.loaded_dbapi.Error
        self.driver: Any = driver
        self.cursor: Any = driver.cursor()

    @classmethod
    def of(cls, conn: Connection) -> DriverCursor:
        """The cursor of a SQLAlchemy connection's driver connection."""
        driver = conn.connection.driver_connection
        assert driver is not None  # a connection in a transaction has its driver's
        return cls(driver, conn.dialect)

    def __enter__(self) -> DriverCursor:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.cursor.close()

    def run(self, statement: str, params: Any = ()) -> None:
        """Execute, for its effect (in ``pipelined``: sent, not waited for)."""
        try:
            self.cursor.execute(statement, params)
        except self.error as exc:
            raise self._error(statement, exc) from exc

    def rows(self, statement: str, params: Any = ()) -> list[Any]:
        """Execute and return its rows (in ``pipelined``: waits for everything sent)."""
        try:
            self.cursor.execute(statement, params)
            return list(self.cursor.fetchall())
        except self.error as exc:
            raise self._error(statement, exc) from exc

    def many(self, statement: str, params: Sequence[Any]) -> None:
        """Execute once per parameter row (one row: a plain execute, which on psycopg
        costs one round trip where its ``executemany`` costs a pipeline's few)."""
        try:
            if len(params) == 1:
                self.cursor.execute(statement, params[0])
            else:
                self.cursor.executemany(statement, params)
        except self.error as exc:
            raise self._error(statement, exc) from exc

    @contextmanager
    def pipelined(self) -> Iterator[None]:
        """On PostgreSQL, the statements run inside go to the server together (psycopg's
        pipeline mode): one round trip, not one each, until a ``rows`` needs an answer;
        the server still runs them one after the other, each seeing the ones before. An
        error of any of them is raised by the next ``rows`` or at the end. On SQLite (in
        process, no round trips) nothing changes."""
        if self.dialect.name != "postgresql" or not _pipelines():
            yield
            return
        try:
            with self.driver.pipeline():
                yield
        except self.error as exc:
            raise self._error("(pipeline)", exc) from exc

    def _error(self, statement: str, exc: Exception) -> Exception:
        return translated(self.dialect, statement, exc)


def translated(dialect: sa.Dialect, statement: str, exc: Exception) -> Exception:
    """A driver's error as SQLAlchemy raises it (``IntegrityError``, ``OperationalError``…),
    without the statement's parameters."""
    return sa.exc.DBAPIError.instance(
        statement, None, exc, dialect.loaded_dbapi.Error, hide_parameters=True, dialect=dialect
    )


def _pipelines() -> bool:
    """Whether psycopg's libpq has pipeline mode (libpq 14 and later)."""
    from psycopg import Pipeline

    return bool(Pipeline.is_supported())
