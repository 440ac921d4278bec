"""When the database is away: a 503 the caller can act on, never a 500.

A database that refuses connections (PostgreSQL stopped or restarting), a full disk, a
read-only or corrupt file, a lock held too long: none of these is a fault in the request
or in this code, and each ends without anyone touching the service. So they answer
**503 Service Unavailable** with ``Retry-After`` and an RFC 9457 problem-details body
(``application/problem+json``: ``type``, ``title``, ``status``, ``detail``), and nothing
is acknowledged: a record is acknowledged only after its commit.

Errors that mean a bug rather than an outage (a constraint violated, a bad statement)
stay 500: mapping them to 503 would have clients retry forever on a request that can
never succeed.

Kept minimal on purpose: the general problem-details of the API live elsewhere
(``service/problems.py``, whose ``service-unavailable`` kind this answers with); this
module only knows what an outage is.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.responses import Response
from sqlalchemy import exc as sa_exc

from quyche_rules.db.unavailable import DatabaseUnavailable, error_kind, is_unavailable
from quyche_rules.service.problems import problem_for

log = logging.getLogger("quyche.service")

#: seconds a client should wait before retrying: a PostgreSQL restart or a failover takes
#: a few seconds, and a shorter wait only adds load to a database coming back
RETRY_AFTER_SECONDS = 5


def is_outage(exc: BaseException) -> bool:
    """Is ``exc`` the database being unavailable? The one definition, shared with the
    CLI: ``db.unavailable.is_unavailable``."""
    return is_unavailable(exc)


def problem(detail: str, *, status: int = 503) -> Response:
    """The service's one problem-details answer (``problems.problem_for``), with the wait
    a client should honour before retrying."""
    return problem_for(status, detail, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


def _kind(exc: BaseException) -> str:
    """A short, fixed name for the log: never the driver's message."""
    return error_kind(exc)


async def outage_error(request: Request, exc: Exception) -> Response:
    if not is_outage(exc):
        log.exception("internal error on %s", request.url.path)
        return problem_for(500, "internal error")
    log.warning("database unavailable on %s: %s", request.url.path, _kind(exc))
    return problem(
        "database: không trả lời hoặc không ghi được, không có gì được ghi nhận; thử lại sau "
        f"{RETRY_AFTER_SECONDS} giây / not answering or not writable, nothing was recorded; "
        f"retry after {RETRY_AFTER_SECONDS} s"
    )


def install(app: FastAPI) -> None:
    """Answer every SQLAlchemy error raised by a handler or a dependency: 503 for an
    outage, 500 (logged) otherwise."""
    app.add_exception_handler(sa_exc.SQLAlchemyError, outage_error)
    app.add_exception_handler(DatabaseUnavailable, outage_error)
