"""One definition of "the database is unavailable" (``db.unavailable``): the CLI's exit
status and the service's 503 follow the same answer for every kind of database error."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import exc as sa_exc

from quyche_rules.cli.main import _unreachable
from quyche_rules.db.unavailable import DatabaseUnavailable, is_unavailable, unavailable
from quyche_rules.service.outage import is_outage


def _wrapped(cls: type[sa_exc.DBAPIError], orig: Exception) -> sa_exc.DBAPIError:
    return cls("INSERT ...", {"summary": "ông Nguyễn Văn A"}, orig)


ERRORS: dict[str, tuple[Exception, bool]] = {
    "connection refused": (_wrapped(sa_exc.OperationalError, sqlite3.OperationalError("x")), True),
    "disk full": (_wrapped(sa_exc.OperationalError, sqlite3.OperationalError("full")), True),
    "corrupt file": (_wrapped(sa_exc.DatabaseError, sqlite3.DatabaseError("malformed")), True),
    "server shut down": (_wrapped(sa_exc.InternalError, Exception("AdminShutdown")), True),
    "pool exhausted": (sa_exc.TimeoutError("QueuePool limit"), True),
    "connection lost": (sa_exc.DisconnectionError("gone"), True),
    "constraint": (_wrapped(sa_exc.IntegrityError, sqlite3.IntegrityError("UNIQUE")), False),
    "bad statement": (_wrapped(sa_exc.ProgrammingError, sqlite3.ProgrammingError("x")), False),
    "bad value": (_wrapped(sa_exc.DataError, Exception("x")), False),
    "not a database error": (ValueError("x"), False),
}


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_the_cli_and_the_service_agree(name: str) -> None:
    exc, expected = ERRORS[name]
    assert is_unavailable(exc) is expected
    assert is_outage(exc) is expected
    assert _unreachable(exc) is expected


def test_the_one_answer_names_no_data() -> None:
    exc, _ = ERRORS["disk full"]
    answer = unavailable(exc)
    assert isinstance(answer, DatabaseUnavailable) and answer.code == "database_unavailable"
    assert "Nguyễn" not in str(answer) and "OperationalError" in str(answer)
    assert unavailable(ERRORS["constraint"][0]) is None
