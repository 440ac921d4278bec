"""One database connection kept by a writer for its lifetime, each transaction begun and
ended on the driver.

The decision log's group commit runs one short transaction per group of requests, hundreds
a second under load. Through SQLAlchemy each one costs a pool checkout (with a ping on
PostgreSQL), a ``Connection``, the ``begin`` event that sends SQLite's ``BEGIN
IMMEDIATE``, and the commit's bookkeeping: about 0.25 ms of CPU per transaction on the
service's writer thread, more than its statements cost (``service.logsql``). Here the
connection is checked out of the engine's pool once, so it has the pool's connect-time
settings (WAL, ``synchronous``, busy timeout, foreign keys), and a transaction is two
driver calls around the caller's statements.

What the pool did at each checkout is done on failure instead:

* a transaction that fails is rolled back; when the connection itself is the problem (the
  dialect reads the error as a disconnect, or the rollback fails too) it is thrown away
  and the next transaction checks out a new one;
* a connection found dead before anything was sent to commit (PostgreSQL restarted while
  the writer was idle: what ``pool_pre_ping`` caught at checkout) is replaced and the
  transaction run once more, since nothing of it was committed. The caller's work must
  therefore be safe to run twice (``Store.append_decisions`` asks for late joiners once).

Driver errors reach the caller as SQLAlchemy's (``OperationalError``…, parameters
hidden), as from any other statement. A lock lets one caller use the connection at a time.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from quyche_rules.db.cursor import translated

T = TypeVar("T")


class HeldConnection:
    """A connection of ``engine`` kept between transactions (see the module docstring)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.dialect = engine.dialect
        self.error: type[Exception] = engine.dialect.loaded_dbapi.Error
        self._sqlite = engine.dialect.name == "sqlite"
        self._raw: Any = None  # the pool's proxy of the driver's connection
        self._lock = threading.Lock()
        #: connections checked out so far (1 while nothing failed): for tests
        self.checkouts = 0

    def transaction(self, work: Callable[[Any], T]) -> T:
        """Run ``work(driver_connection)`` in one transaction and commit it; on SQLite the
        transaction takes the write lock first (``BEGIN IMMEDIATE``)."""
        with self._lock:
            try:
                return self._once(work)
            except _Stale:
                return self._once(work)

    def close(self) -> None:
        """Give the connection back to the pool (a later transaction takes one again)."""
        with self._lock:
            raw, self._raw = self._raw, None
            if raw is not None:
                raw.close()

    def _once(self, work: Callable[[Any], T]) -> T:
        fresh = self._raw is None
        if fresh:
            self._raw = self.engine.raw_connection()
            self.checkouts += 1
        raw = self._raw
        driver = raw.driver_connection
        committing = False
        try:
            if self._sqlite:
                driver.execute("BEGIN IMMEDIATE")
            result = work(driver)
            committing = True
            if self._sqlite:
                driver.execute("COMMIT")
            else:
                driver.commit()
            return result
        except BaseException as exc:
            dead = self._rollback(raw, exc)
            if dead and not fresh and not committing:
                raise _Stale from exc
            if isinstance(exc, self.error):
                raise translated(self.dialect, "(transaction)", exc) from exc
            raise

    def _rollback(self, raw: Any, exc: BaseException) -> bool:
        """Roll back after ``exc``; True (and the connection dropped) if it is dead."""
        orig: Any = exc.orig if isinstance(exc, sa.exc.DBAPIError) else exc
        dead = isinstance(exc, (sa.exc.DBAPIError, self.error)) and self.dialect.is_disconnect(
            orig, raw.driver_connection, None
        )
        if not dead:
            try:
                if self._sqlite:
                    if raw.driver_connection.in_transaction:
                        raw.driver_connection.execute("ROLLBACK")
                else:
                    raw.driver_connection.rollback()
            except Exception:
                dead = True
        if dead:
            self._raw = None
            raw.invalidate()
        return dead


class _Stale(Exception):
    """The kept connection was dead before the transaction committed: run it again."""
