"""Every error of the HTTP service as RFC 9457 problem details (``application/problem+json``).

A problem says the same thing three ways, for three readers:

* ``type`` — a stable URI per kind of error (``KINDS`` below; the list is published in
  ``docs/integrators.md``), for a program to branch on. Only added, never renamed.
* ``title`` — the kind in words, Vietnamese first (the clerks reading a client's error
  box are Vietnamese); the English twin is in the same table, for localisation.
* ``detail`` — one line naming the place (``body.requester: unknown party 'x'``): the
  member every client read before problem details existed; in the request's language like
  the title (``details``: Vietnamese by default, the English words as before on
  ``Accept-Language: en``), and so is each ``errors[].detail``. The place stays as is.

plus ``status``, ``instance`` (``urn:quyche-rules:request:<X-Request-ID>``, the id is also
in ``request_id``) and, for input errors (400, 415, 422), ``errors``: one entry per
offending place, with a JSON Pointer into the body (``pointer``) or the name of a query or
path parameter (``parameter``), a ``code`` (pydantic's error type or this library's, as
``QuycheError.code``) and its own ``detail``.

``problem(status, type_, title, detail, **extra)`` is the one constructor: the exception
handlers here, the body-size middleware and any later module (a 503 for a database outage)
answer through it.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from quyche_rules.errors import QuycheError, json_pointer, one_line, validation_code
from quyche_rules.i18n import _, language
from quyche_rules.model.events import EVENT_TYPES
from quyche_rules.service.details import localized
from quyche_rules.service.models import ErrorOut
from quyche_rules.service.registry import EVENT_ERROR
from quyche_rules.service.requestid import current as current_request_id

log = logging.getLogger("quyche.service")

MEDIA_TYPE = "application/problem+json"
TYPE_PREFIX = "urn:quyche-rules:problem:"
INSTANCE_PREFIX = "urn:quyche-rules:request:"
#: at most this many entries in ``errors`` (a 100-event batch can be wrong everywhere)
MAX_ERRORS = 20
DETAIL_LIMIT = 300


@dataclass(frozen=True)
class Kind:
    slug: str
    status: int
    title_vi: str
    title_en: str

    @property
    def type(self) -> str:
        return TYPE_PREFIX + self.slug

    @property
    def title(self) -> str:
        """In the request's language (``Accept-Language``; Vietnamese by default)."""
        return self.title_vi if language() == "vi" else self.title_en


#: The one table of problem kinds: ``type`` URIs and their titles (Vietnamese, English).
KINDS: dict[str, Kind] = {
    k.slug: k
    for k in (
        Kind("bad-request", 400, "Không đọc được yêu cầu", "The request cannot be read"),
        Kind("unauthorized", 401, "Cần khóa API hợp lệ", "A valid API key is required"),
        Kind("forbidden", 403, "Khóa này không được phép làm việc này", "Not allowed for this key"),
        Kind("not-found", 404, "Không tìm thấy", "Not found"),
        Kind("method-not-allowed", 405, "Phương thức không được hỗ trợ", "Method not allowed"),
        Kind("payload-too-large", 413, "Nội dung gửi quá lớn", "Request body too large"),
        Kind(
            "unsupported-media-type",
            415,
            "Kiểu nội dung không được hỗ trợ",
            "Unsupported content type",
        ),
        Kind("invalid-input", 422, "Dữ liệu đầu vào không hợp lệ", "Invalid input"),
        Kind("rate-limited", 429, "Vượt giới hạn số yêu cầu", "Too many requests"),
        Kind("internal-error", 500, "Lỗi nội bộ của dịch vụ", "Internal error"),
        Kind("service-unavailable", 503, "Dịch vụ tạm thời không sẵn sàng", "Service unavailable"),
    )
}
_BY_STATUS = {k.status: k for k in KINDS.values()}


class ProblemItem(BaseModel):
    """One offending place of an input error."""

    pointer: str | None = Field(
        default=None, description="JSON Pointer (RFC 6901) into the request body: /requester"
    )
    parameter: str | None = Field(default=None, description="a query or path parameter's name")
    code: str = Field(description="machine-readable kind: missing, unknown_party, …")
    detail: str


class Problem(ErrorOut):
    """RFC 9457 problem details: every 4xx and 5xx answer of the API."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(examples=[TYPE_PREFIX + "invalid-input"], description="stable per kind")
    title: str = Field(examples=["Dữ liệu đầu vào không hợp lệ"], description="Vietnamese")
    status: int = Field(ge=400, le=599)
    instance: str | None = Field(
        default=None, description="this request: urn:quyche-rules:request:<X-Request-ID>"
    )
    request_id: str | None = Field(default=None, description="the X-Request-ID of this request")
    errors: list[ProblemItem] | None = Field(
        default=None, description="input errors only: each offending place"
    )


def kind_of(status: int) -> Kind | None:
    return _BY_STATUS.get(status)


def problem_body(status: int, type_: str, title: str, detail: str, **extra: Any) -> dict[str, Any]:
    rid = current_request_id()
    errors = extra.get("errors")
    if errors:  # each in the reader's language; the machine fields as they are
        extra["errors"] = [_localized_item(e) for e in errors]
    code = str(errors[0].get("code", "")) if errors else None
    body: dict[str, Any] = {
        "type": type_,
        "title": title,
        "status": status,
        "detail": one_line(localized(detail, code), DETAIL_LIMIT),
    }
    if rid is not None:
        body["instance"] = INSTANCE_PREFIX + rid
        body["request_id"] = rid
    body.update({k: v for k, v in extra.items() if v is not None})
    return body


def _localized_item(item: Any) -> Any:
    if not isinstance(item, dict) or not isinstance(item.get("detail"), str):
        return item
    said = localized(item["detail"], str(item.get("code", "")))
    return {**item, "detail": one_line(said, DETAIL_LIMIT)}


def problem(
    status: int,
    type_: str,
    title: str,
    detail: str,
    *,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    """The one way this service answers an error."""
    return JSONResponse(
        problem_body(status, type_, title, detail, **extra),
        status_code=status,
        headers=headers,
        media_type=MEDIA_TYPE,
    )


def problem_for(status: int, detail: str, **extra: Any) -> JSONResponse:
    """A problem of the kind registered for ``status`` (``about:blank`` for others)."""
    kind = kind_of(status)
    if kind is None:
        title = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
        return problem(status, "about:blank", title, detail, **extra)
    return problem(status, kind.type, kind.title, detail, **extra)


def _for_person(request: Request, status: int) -> Response | None:
    """An HTML page instead of JSON for a person's browser outside ``/v1/`` (a mistyped
    body page, a broken link), in the request's language; systems keep problem details."""
    if status not in (404, 500) or request.url.path.startswith("/v1/"):
        return None
    if "text/html" not in request.headers.get("accept", ""):
        return None
    from quyche_rules.pages.render import error_page

    kind = _BY_STATUS[status]
    message = (
        _("The page you asked for does not exist.")
        if status == 404
        else _("Something went wrong on our side; try again later.")
    )
    page = error_page(status, kind.title, message, _("Back to the rulebook"), language())
    return HTMLResponse(page, status_code=status)


def problem_bytes(status: int, detail: str) -> bytes:
    """The body of a problem, for middlewares that answer below FastAPI's handlers."""
    kind = _BY_STATUS[status]
    body = problem_body(status, kind.type, kind.title, detail)
    return json.dumps(body, ensure_ascii=False).encode("utf-8")


# --- input errors ------------------------------------------------------------------------


def _item(where: str | None, path: list[str], code: str, detail: str) -> dict[str, Any]:
    """``where`` is the request part (body, query, path, header)."""
    item: dict[str, Any] = {"code": code, "detail": one_line(detail, DETAIL_LIMIT)}
    if where in ("query", "path", "header", "cookie"):
        item["parameter"] = path[0] if path else where
    else:
        item["pointer"] = json_pointer(".".join(path)) if path else ""
    return item


def validation_items(exc: RequestValidationError) -> tuple[str, list[dict[str, Any]]]:
    """The one-line ``detail`` (the first error, as before) and every error as an item."""
    items: list[dict[str, Any]] = []
    first = "request: invalid"
    for n, err in enumerate(exc.errors()):
        loc = [str(p) for p in err.get("loc", ()) if p not in EVENT_TYPES]
        where = loc[0] if loc else None
        path = loc[1:] if where in ("body", "query", "path", "header", "cookie") else loc
        msg = str(err.get("msg", "invalid")).removeprefix("Value error, ")
        kind = str(err.get("type", "invalid"))
        code = validation_code(kind, str(err.get("msg", "")))
        if kind == EVENT_ERROR:  # validated against a profile's registry: field in ctx
            ctx = err.get("ctx") or {}
            path.extend(p for p in str(ctx.get("field", "")).split(".") if p)
            msg = str(ctx.get("msg", msg))
            code = str(ctx.get("code", "invalid_event"))
        elif kind == "json_invalid":
            msg = "malformed JSON"
            path = []  # pydantic's location is a character offset, not a place
        elif kind == "union_tag_invalid":
            tag = (err.get("ctx") or {}).get("tag", "?")
            path.append("type")
            msg = f"unknown event type {str(tag)[:60]!r} (see GET /v1/schemas/events)"
            code = "unknown_event_type"
        elif kind == "union_tag_not_found":
            path.append("type")
            msg = "missing; every event names its type"
            code = "missing"
        if n == 0:
            shown = loc[:1] + path if where == "body" else path
            first = one_line(f"{'.'.join(shown) or 'request'}: {msg}", DETAIL_LIMIT)
        if n < MAX_ERRORS:
            items.append(_item(where, path, code, msg))
    return first, items


def _detail_items(detail: str, code: str) -> list[dict[str, Any]]:
    """Items for a handler's own one-line refusal ``<place>: <what>``: ``body.x`` is a
    pointer into the body, a bare name a parameter."""
    place, sep, msg = detail.partition(": ")
    if not sep or " " in place:
        return [{"pointer": "", "code": code, "detail": detail}]
    if place == "body" or place.startswith("body."):
        path = place.split(".")[1:]
        return [_item("body", path, code, msg)]
    return [_item("query", [place], code, msg)]


def _is_json(content_type: str | None) -> bool:
    if not content_type:
        return False
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or media.endswith("+json")


# --- handlers ----------------------------------------------------------------------------


def install(app: FastAPI) -> None:
    """Route every error through ``problem``: HTTP errors raised by routers and
    dependencies, request validation, the library's ``QuycheError`` and anything
    unexpected (logged with its traceback, answered without it)."""

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        page = _for_person(request, exc.status_code)
        if page is not None:
            return page
        detail = str(exc.detail)
        if detail == "There was an error parsing the body":  # FastAPI's words, no place
            detail = "body: cannot be read as UTF-8 JSON"
        status = exc.status_code
        extra: dict[str, Any] = {}
        if status in (400, 422):
            code = "invalid" if status == 422 else "unreadable"
            extra["errors"] = _detail_items(detail, code)
        return problem_for(status, detail, headers=getattr(exc, "headers", None), **extra)

    async def validation_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        has_body = request.method in ("POST", "PUT", "PATCH")
        if has_body and not _is_json(request.headers.get("content-type")):
            got = request.headers.get("content-type") or "none"
            detail = f"Content-Type: must be application/json, got {got[:60]!r}"
            item = {"parameter": "Content-Type", "code": "unsupported_media_type"}
            return problem_for(415, detail, errors=[{**item, "detail": detail}])
        detail, items = validation_items(exc)
        return problem_for(422, detail, errors=items)

    async def quyche_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, QuycheError)
        item = {"pointer": exc.pointer or "", "code": exc.code, "detail": str(exc)}
        return problem_for(422, str(exc), errors=[item])

    async def internal_error(request: Request, exc: Exception) -> Response:
        log.exception("internal error on %s (request %s)", request.url.path, current_request_id())
        return _for_person(request, 500) or problem_for(500, "internal error")

    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(QuycheError, quyche_error)
    app.add_exception_handler(Exception, internal_error)
