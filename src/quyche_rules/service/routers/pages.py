"""The pages for people (issue 12), served beside the JSON API: public, no key needed.

``/`` the regulation beside its rules, ``/bodies/`` and ``/bodies/{party}`` a body's duties,
``/ask`` the Ask form, ``/morning`` the tracker's morning view, ``/static/`` their CSS and
scripts (a few small files, read once and answered from memory: Starlette's ``StaticFiles``
streams, and a streamed body is cut short behind ``middleware.BodyLimit``, whose replayed
``receive`` answers ``http.disconnect`` at once).

Reading the regulation needs no key; what the Ask form and the morning view send (``POST
/v1/notify``, ``GET /v1/track/status``) does, typed by the user into the page and sent as
``Authorization: Bearer`` — the pages themselves never hold one.

The pages depend only on the engine (its rulebook and the registry in force, a profile's
bodies included), so each is rendered once per app and language and kept (``PageCache``),
with its gzip form: the literate page is 845 KB of HTML, and gzipping it again for every
reader took about 12 ms of CPU a request (its 80 KB are what a clerk on a slow line waits
for). The kept form is the very bytes the gzip layer would make (``prepared.gzip``), with
its headers (``Content-Encoding``, ``Vary`` ending in ``Accept-Encoding``); the layer lets
an answer already encoded pass.

Which language a page shows first: ``?lang=vi|en``, else the ``quyche_lang`` cookie the
page's switch writes, else ``Accept-Language``, else Vietnamese. The answer says which
(``Content-Language``), varies on what chose it (``Vary: Accept-Language, Cookie``) and
carries an ``ETag`` of its own bytes, so a cache never gives one language's page for the
other's and a browser revalidates cheaply (``304``).
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from quyche_rules.engine.engine import Engine
from quyche_rules.i18n import LANGS, negotiate
from quyche_rules.pages import SERVED, STATIC_DIR, Links, Pages
from quyche_rules.service.middleware import GZIP_MINIMUM_SIZE
from quyche_rules.service.prepared import gzip

#: what may be in ``static/``: anything else there is not served
MEDIA_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}
ASK = "/ask"
MORNING = "/morning"
NOTIFY_URL = "/v1/notify"
STATUS_URL = "/v1/track/status"
ICS_URL = "/v1/track/ics"
TRACK_URL = "/v1/track"
#: the cookie the pages' language switch writes (``pages.js``): ``vi`` or ``en``
LANG_COOKIE = "quyche_lang"

router = APIRouter(tags=["pages"], include_in_schema=False)


@dataclass
class PageCache:
    """Every page of one engine, rendered on first request and kept (the rulebook does not
    change while the app runs); a body's page is kept per registry id."""

    pages: Pages
    #: each page's UTF-8 bytes, their gzip form (None under the size the gzip layer leaves
    #: alone) and its ETag (a hash of the bytes), by (name, language)
    done: dict[tuple[str, str], tuple[bytes, bytes | None, str]] = field(default_factory=dict)
    static: dict[str, tuple[bytes, str]] = field(
        default_factory=lambda: {
            f.name: (f.read_bytes(), MEDIA_TYPES[f.suffix])
            for f in sorted(STATIC_DIR.iterdir())
            if f.is_file() and f.suffix in MEDIA_TYPES
        }
    )

    @classmethod
    def of(cls, engine: Engine, root: str = "/") -> PageCache:
        """The pages of ``engine`` served under ``root`` (``/``, or ``/p/<profile>/`` for
        one province of a service serving several)."""
        links = (
            SERVED
            if root == "/"
            else Links(root, "", "bodies/", "bodies/{id}", "static/", "articles/{n}")
        )
        ask, morning = root + ASK.lstrip("/"), root + MORNING.lstrip("/")
        return cls(Pages(engine, links=links, ask_href=ask, morning_href=morning, served=True))

    def entry(self, name: str, lang: str) -> tuple[bytes, bytes | None, str]:
        """The page ``name`` in ``lang``: its bytes, their gzip form and its ETag, made
        once."""
        got = self.done.get((name, lang))
        if got is None:
            pages = dataclasses.replace(self.pages, lang=lang)
            kind, _, arg = name.partition(":")
            makers: dict[str, Callable[[], str]] = {
                "literate": pages.literate,
                "bodies": pages.bodies,
                "ask": lambda: pages.ask_form(notify_url=NOTIFY_URL),
                "morning": lambda: pages.morning(
                    status_url=STATUS_URL, ics_url=ICS_URL, track_url=TRACK_URL
                ),
                "body": lambda: pages.body(arg),
                "article": lambda: pages.article(int(arg)),
            }
            raw = makers[kind]().encode()
            packed = gzip(raw) if len(raw) >= GZIP_MINIMUM_SIZE else None
            etag = '"' + hashlib.sha256(raw).hexdigest()[:32] + '"'
            got = self.done[(name, lang)] = (raw, packed, etag)
        return got


def page_language(request: Request) -> str:
    """``?lang=``, else the switch's cookie, else ``Accept-Language``, else Vietnamese."""
    for chosen in (request.query_params.get("lang"), request.cookies.get(LANG_COOKIE)):
        if chosen in LANGS:
            return chosen
    return negotiate(request.headers.get("accept-language", "")[:400])


def answer(request: Request, cache: PageCache, name: str) -> Response:
    """The page in the request's language, or ``304`` when the browser holds these bytes."""
    lang = page_language(request)
    raw, packed, etag = cache.entry(name, lang)
    headers = {
        "ETag": etag,
        "Cache-Control": "no-cache",
        "Content-Language": lang,
        "Vary": "Accept-Language, Cookie",
    }
    wanted = request.headers.get("if-none-match", "")
    if etag in (t.strip().removeprefix("W/") for t in wanted.split(",")):
        return Response(status_code=304, headers=headers)
    if packed is not None and "gzip" in request.headers.get("accept-encoding", ""):
        # as the gzip layer would answer it (its test: "gzip" anywhere in the header), and
        # the layer passes an answer already encoded through
        headers["Vary"] += ", Accept-Encoding"
        headers["Content-Encoding"] = "gzip"
        return HTMLResponse(packed, headers=headers)
    return HTMLResponse(raw, headers=headers)


async def page_cache(request: Request) -> PageCache:
    """Async on purpose, like ``deps.services``: no I/O, no thread-pool hop."""
    cache: PageCache = request.app.state.pages
    return cache


async def province_cache(request: Request, profile: str) -> PageCache:
    """The pages of one profile of the service (``/p/<profile>/…``), built on first use;
    404 for a profile the service does not serve. Public like the others: the Ask form
    and the morning view then send the key the user types, answered under its profile."""
    tenants = getattr(request.app.state, "tenants", None)
    svc = None if tenants is None else tenants.by_name.get(profile)
    if svc is None:
        raise HTTPException(404, f"profile: this service does not serve {profile[:60]!r}")
    kept: dict[str, PageCache] = request.app.state.province_pages
    cache = kept.get(profile)
    if cache is None:
        cache = kept[profile] = PageCache.of(svc.engine, root=f"{PROVINCE}/{profile}/")
    return cache


Cache = Annotated[PageCache, Depends(page_cache)]
ProvinceCache = Annotated[PageCache, Depends(province_cache)]
PROVINCE = "/p"


@router.get("/", response_class=HTMLResponse)
def literate(request: Request, cache: Cache) -> Response:
    """The regulation article by article, each clause with its rules beside it."""
    return answer(request, cache, "literate")


@router.get("/bodies/", response_class=HTMLResponse)
def bodies(request: Request, cache: Cache) -> Response:
    return answer(request, cache, "bodies")


@router.get("/bodies/{party}", response_class=HTMLResponse)
def body(party: str, request: Request, cache: Cache) -> Response:
    """A body's duties; ``party`` is a registry id (a profile's bodies included)."""
    registry = cache.pages.engine.parties
    try:
        pid = registry.resolve(party).id
    except KeyError:
        raise HTTPException(404, f"party: unknown party {party[:60]!r}") from None
    return answer(request, cache, f"body:{pid}")


@router.get("/articles/{number}", response_class=HTMLResponse)
def article(number: str, request: Request, cache: Cache) -> Response:
    """One Article with its rules, on a page of its own: its print view. Anything but the
    number of an Article is a page that does not exist (404), as for a body."""
    titles = cache.pages.engine.rulebook.regulation.titles
    if not (number.isascii() and number.isdigit()) or int(number) not in titles:
        raise HTTPException(404, f"article: no Article {number[:10]!r} in the regulation")
    return answer(request, cache, f"article:{int(number)}")


@router.get(ASK, response_class=HTMLResponse)
def ask(request: Request, cache: Cache) -> Response:
    return answer(request, cache, "ask")


@router.get(MORNING, response_class=HTMLResponse)
def morning(request: Request, cache: Cache) -> Response:
    return answer(request, cache, "morning")


@router.get("/static/{name}")
def static(name: str, cache: Cache) -> Response:
    found = cache.static.get(name)
    if found is None:
        raise HTTPException(404, f"static: no such file {name[:60]!r}")
    content, media_type = found
    return Response(content, media_type=media_type, headers={"Cache-Control": "no-cache"})


province_router = APIRouter(prefix=PROVINCE + "/{profile}", tags=["pages"], include_in_schema=False)


@province_router.get("/", response_class=HTMLResponse)
def province_literate(request: Request, cache: ProvinceCache) -> Response:
    """The same pages for one province of a service serving several (``--profile``
    repeated): its bodies, its name in the header."""
    return literate(request, cache)


@province_router.get("/bodies/", response_class=HTMLResponse)
def province_bodies(request: Request, cache: ProvinceCache) -> Response:
    return bodies(request, cache)


@province_router.get("/bodies/{party}", response_class=HTMLResponse)
def province_body(party: str, request: Request, cache: ProvinceCache) -> Response:
    return body(party, request, cache)


@province_router.get("/articles/{number}", response_class=HTMLResponse)
def province_article(number: str, request: Request, cache: ProvinceCache) -> Response:
    return article(number, request, cache)


@province_router.get(ASK, response_class=HTMLResponse)
def province_ask(request: Request, cache: ProvinceCache) -> Response:
    return ask(request, cache)


@province_router.get(MORNING, response_class=HTMLResponse)
def province_morning(request: Request, cache: ProvinceCache) -> Response:
    return morning(request, cache)


@province_router.get("/static/{name}")
def province_static(name: str, cache: ProvinceCache) -> Response:
    return static(name, cache)


def install(app: FastAPI) -> None:
    """Add the pages and their static files to an app built by ``create_app`` (after its
    services, whose engine the pages show)."""
    app.state.pages = PageCache.of(app.state.services.engine)
    app.state.province_pages = {}
    app.include_router(router)
    app.include_router(province_router)
