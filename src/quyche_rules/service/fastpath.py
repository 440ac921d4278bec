"""``POST /v1/notify`` answered below FastAPI when it is the common case.

A busy caller's notify spent about three times the CPU of a bare FastAPI endpoint, and
little of it on the decision: most went to the eight ASGI layers around the route and to
FastAPI solving the route's dependencies. This outermost layer answers the request
itself when nothing about it is unusual, with the very functions the full stack calls:

- the key is one the cache keeps, valid, and answerable under a profile
  (``auth.authenticate`` without I/O, ``deps.answering``; a kept key past its time is
  read again in a worker thread, as the full stack would); the caller's rate token is
  taken (in a worker thread when the buckets are in the database);
- ``Content-Length`` is given and within ``--max-body-bytes``, the type is
  ``application/json``, the body is JSON (``bodyread``'s reader, ``io.jsonin``) and a
  valid event (the route's own type, ``ServiceEvent``);
- the decision is the route's (``routers.notify.decide_event``), logged by the group
  commit before anything is sent (``decide.begin_commit``, then ``durable()``: the
  answer is made while the writer commits);
- the answer is the route's (``decide.answer_body``), with the headers the full stack's
  gzip, language and request-id layers would give it (``prepared``: written directly,
  held byte for byte against Starlette's gzip), counted in the same metrics and written
  in the same access log.

Anything else — no key or one not kept, a refusal of any kind (401, 403, 413, 422, 429),
a chunked body, a root path, a dependency overridden — goes to the full stack untouched,
so every error keeps its one implementation (problem details, the key before the body).
When the fast path gives up after taking the caller's rate token, it leaves the checked
caller on the request's state (``deps.check_request_key`` finds it there: one token per
request) and hands the body it read on. ``--no-fast-path`` (``Settings.fast_path``)
turns it off; ``tests/service/test_fast_path.py`` holds both paths' answers identical.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from pydantic import TypeAdapter
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from quyche_rules.i18n import language, set_language
from quyche_rules.io.jsonin import read_json
from quyche_rules.service.auth import RateLimiter, authenticate, was_kept
from quyche_rules.service.decide import answer_body, begin_commit
from quyche_rules.service.deps import Services, answering
from quyche_rules.service.language import from_header
from quyche_rules.service.middleware import _replay, log_access
from quyche_rules.service.prepared import messages, wants_gzip
from quyche_rules.service.registry import PROFILE, REGISTRY, ServiceEvent
from quyche_rules.service.requestid import HEADER as REQUEST_ID_HEADER
from quyche_rules.service.requestid import REQUEST_ID, accept
from quyche_rules.service.routers.notify import decide_event
from quyche_rules.service.tenants import PROFILE_HEADER

PATH = "/v1/notify"
_EVENT: TypeAdapter[Any] = TypeAdapter(ServiceEvent)


@dataclass(frozen=True)
class _Template:
    """What the access log reads of a route: its template (FastAPI resolves the routes
    of included routers lazily; the template is all that is needed of one)."""

    path: str


_ROUTE = _Template(PATH)


class _Scoped:
    """What the request id, registry and language middlewares set for a request's
    context, set here for the fast path's, and put back as they do."""

    def __init__(self, rid: str, registry: Any, profile: Any, lang: str) -> None:
        self.before = language()
        self.lang = set_language(lang)
        self.tokens = (REQUEST_ID.set(rid), REGISTRY.set(registry), PROFILE.set(profile))

    def reset(self) -> None:
        set_language(self.before)
        rid, registry, profile = self.tokens
        PROFILE.reset(profile)
        REGISTRY.reset(registry)
        REQUEST_ID.reset(rid)


class _GiveUp(Exception):
    """Not the common case: the full stack answers."""


class NotifyFastPath:
    """The outermost ASGI layer of the service (inside Starlette's error middleware)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        enabled: bool,
        max_body: int,
        access_log: bool,
        registry: Any = None,
        profile: Any = None,
    ) -> None:
        self.app = app
        self.enabled = enabled
        self.max_body = max_body
        self.access_log = access_log
        self.registry = registry  # as ``registry.RegistryScope`` sets them
        self.profile = profile
        #: requests answered here (tests and the benchmark read it)
        self.answered = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            not self.enabled
            or scope["type"] != "http"
            or scope["path"] != PATH
            or scope["method"] != "POST"
            or scope.get("root_path")
        ):
            await self.app(scope, receive, send)
            return
        head = _head(scope["headers"])
        if head is None or not self._fits(head):
            await self.app(scope, receive, send)
            return
        await self._answer(scope, receive, send, head)

    def _fits(self, head: dict[bytes, bytes]) -> bool:
        length = head.get(b"content-length")
        if length is None or b"transfer-encoding" in head or not length.isdigit():
            return False
        if self.max_body > 0 and int(length) > self.max_body:
            return False
        # ``application/json`` alone: no type at all is 415 in FastAPI's strict mode, and
        # the ``+json`` types are left to its own reading of the header
        media = head.get(b"content-type", b"").split(b";", 1)[0].strip().lower()
        return media == b"application/json"

    async def _answer(
        self, scope: Scope, receive: Receive, send: Send, head: dict[bytes, bytes]
    ) -> None:
        start = time.perf_counter()
        app = scope["app"]
        svc: Services = app.state.services
        scheme, _, key = head.get(b"authorization", b"").decode("latin-1").partition(" ")
        key = key.strip()
        if app.dependency_overrides or scheme.lower() != "bearer" or not key:
            await self.app(scope, receive, send)
            return
        who = authenticate(svc.store, key, svc.keys, read=False) if svc.keys else None
        if who is None and was_kept(key, svc.keys):  # kept, past its time: read it again
            who = await run_in_threadpool(authenticate, svc.store, key, svc.keys)
        if who is None:  # never kept, or no longer valid: the full stack reads or refuses it
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})
        # the request id and the language as ``requestid.given_or_new`` and
        # ``language.requested`` read them, from the headers already looked at
        given_id = head.get(_REQUEST_ID_KEY)
        rid = accept(None if given_id is None else given_id.decode("latin-1"))
        state["request_id"] = rid
        lang = from_header(head.get(b"accept-language", b""))
        scoped = _Scoped(rid, self.registry, self.profile, lang)
        read: list[Message] = []
        try:
            tenants = getattr(app.state, "tenants", None)
            mine = svc
            if tenants is not None:  # as ``deps.check_request_key``, then ``deps.services``
                given = head.get(_PROFILE_KEY)
                asked = None if given is None else given.decode("latin-1")
                if tenants.single:
                    tenants.choose(who, asked)  # may refuse the header (TenantRefused)
                else:
                    mine = answering(tenants, who, asked)
            limiter = svc.limiter
            if isinstance(limiter, RateLimiter) or not limiter.enabled:
                wait = limiter.take(who.key_id)
            else:  # the buckets are in the database: read in a worker thread, as deps does
                wait = await run_in_threadpool(limiter.take, who.key_id)
            if wait > 0:
                raise _GiveUp  # 429: the full stack refuses (a refused take takes nothing)
            state["principal"] = who  # taken once: ``check_request_key`` finds it here
            state["key_id"] = who.key_id
            body = await _read(receive, read, self.max_body)
            event = _EVENT.validate_python(read_json(body), from_attributes=True)
            _, pending = decide_event(mine, event)
            committing = await begin_commit(mine, who, [pending])
            # the answer is made while the writer commits (its fsync leaves the
            # interpreter lock free), and sent only once the decision is durable; should
            # making it fail, that is this request's error once the commit is over, never
            # a second decision by the full stack
            made: list[Message] | Exception
            try:
                made = await messages(
                    answer_body(pending),
                    gzip_ok=wants_gzip(head.get(b"accept-encoding")),
                    lang=scoped.lang,
                    request_id=rid.encode("latin-1"),
                )
            except Exception as exc:
                made = exc
            await committing.durable()
        except Exception:
            # a refusal (TenantRefused, EventError, ValidationError, HTTPException 429), a
            # database away, anything: the full stack answers it, from the same body
            scoped.reset()
            await self.app(scope, _replay(read, receive), send)
            return
        try:
            if isinstance(made, Exception):
                raise made
            start_message, body_message = made
            scope["route"] = _ROUTE  # the template, for the access log
            await send(start_message)
            await send(body_message)
            self.answered += 1
            if svc.metrics is not None:
                svc.metrics.answered("POST", PATH, 200, time.perf_counter() - start)
            if self.access_log:
                log_access(scope, 200, len(body_message["body"]), start)
        finally:
            scoped.reset()


def _head(headers: list[tuple[bytes, bytes]]) -> dict[bytes, bytes] | None:
    """The request's headers by name; None when one the answer depends on is repeated
    (the full stack decides which one counts)."""
    out: dict[bytes, bytes] = {}
    for name, value in headers:
        if name in out and name in _SINGLE:
            return None
        out[name] = value
    return out


_PROFILE_KEY = PROFILE_HEADER.lower().encode()
_REQUEST_ID_KEY = REQUEST_ID_HEADER.lower().encode("latin-1")
_SINGLE = frozenset(
    {
        b"authorization",
        b"content-length",
        b"content-type",
        b"accept-encoding",
        b"accept-language",
        _REQUEST_ID_KEY,
        _PROFILE_KEY,
    }
)


async def _read(receive: Receive, read: list[Message], limit: int) -> bytes:
    """The whole body (its announced length was checked against ``limit``). Every message
    received is kept in ``read``, for the full stack to be given if this one gives up."""
    size = 0
    while True:
        message = await receive()
        read.append(message)
        if message["type"] != "http.request":
            raise _GiveUp  # the client went away: the full stack sees it as it would
        size += len(message.get("body", b""))
        if limit > 0 and size > limit:
            raise _GiveUp
        if not message.get("more_body", False):
            break
    if len(read) == 1:
        body: bytes = read[0].get("body", b"")
        return body
    return b"".join(m.get("body", b"") for m in read)
