"""The language of one request: ``Accept-Language`` picks Vietnamese or English (Vietnamese
when it names neither), for the request's own context only, and the answer says which it
used (``Content-Language``; ``Vary: Accept-Language`` so that caches keep both)."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from quyche_rules.i18n import language, negotiate, set_language


def requested(scope: Scope) -> str:
    """The language the request's ``Accept-Language`` asks for (Vietnamese by default)."""
    header = next((v for k, v in scope["headers"] if k == b"accept-language"), b"")
    return from_header(header)


def from_header(header: bytes) -> str:
    """The language one raw ``Accept-Language`` value asks for (``b""`` when absent)."""
    return negotiate(header.decode("latin-1")[:400])


def say_language(headers: list[tuple[bytes, bytes]], lang: str) -> list[tuple[bytes, bytes]]:
    """An answer's headers with the language it used (``Content-Language``) and ``Vary``,
    unless it set them itself (a page may have chosen by ``?lang=``)."""
    names = {k.lower() for k, _v in headers}
    if b"content-language" not in names:
        headers.append((b"content-language", lang.encode()))
    if b"vary" not in names:
        headers.append((b"vary", b"Accept-Language"))
    return headers


class Language:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        before = language()
        lang = set_language(requested(scope))

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = say_language(list(message.get("headers", [])), lang)
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            set_language(before)
