"""``/docs`` (Swagger UI) and ``/redoc`` (ReDoc) from assets installed with the package.

FastAPI's own pages load Swagger UI and ReDoc from a CDN (and ReDoc its fonts from Google):
on a provincial intranet, offline or filtered, they stay blank. The ``fastapi-offline``
distribution (MIT; it ships Swagger UI, Apache-2.0, and ReDoc, MIT, with their licences in
the bundles) puts the same files in site-packages; they are served here under
``/docs/assets/`` and the pages name nothing outside this server: no favicon, font or
validator from another host. One thing is changed on the way: ReDoc's sidebar shows
Redocly's logo from ``cdn.redoc.ly``; the served script points it at the shipped favicon
instead (relative to ``/redoc``, so it also works under a proxy's path prefix).
"""

from __future__ import annotations

import functools
from pathlib import Path

import fastapi_offline
from fastapi import APIRouter, HTTPException, Request
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import FileResponse, HTMLResponse, Response

ASSETS_DIR = Path(fastapi_offline.__file__).resolve().parent / "static"
ASSETS = "/docs/assets"
REDOC_JS = "redoc.standalone.js"
REDOC_CDN_LOGO = b"https://cdn.redoc.ly/redoc/logo-mini.svg"
TITLE = "quyche-rules"

router = APIRouter(include_in_schema=False)


@functools.cache
def _assets() -> dict[str, Path]:
    """The files that may be served, listed once: a name in a URL is looked up, never joined
    to a path."""
    return {p.name: p for p in ASSETS_DIR.iterdir() if p.is_file()}


def _root(request: Request) -> str:
    return str(request.scope.get("root_path", "")).rstrip("/")


@router.get("/docs")
def swagger_ui(request: Request) -> HTMLResponse:
    root = _root(request)
    return get_swagger_ui_html(
        openapi_url=f"{root}/openapi.json",
        title=f"{TITLE} — API (Swagger UI)",
        oauth2_redirect_url=f"{root}/docs/oauth2-redirect",
        swagger_js_url=f"{root}{ASSETS}/swagger-ui-bundle.js",
        swagger_css_url=f"{root}{ASSETS}/swagger-ui.css",
        swagger_favicon_url=f"{root}{ASSETS}/favicon.png",
        # no validator badge: it would send the document to validator.swagger.io
        swagger_ui_parameters={"validatorUrl": None},
    )


@router.get("/docs/oauth2-redirect")
def swagger_ui_redirect() -> HTMLResponse:
    return get_swagger_ui_oauth2_redirect_html()


@router.get("/redoc")
def redoc(request: Request) -> HTMLResponse:
    root = _root(request)
    return get_redoc_html(
        openapi_url=f"{root}/openapi.json",
        title=f"{TITLE} — API (ReDoc)",
        redoc_js_url=f"{root}{ASSETS}/redoc.standalone.js",
        redoc_favicon_url=f"{root}{ASSETS}/favicon.png",
        with_google_fonts=False,
    )


@functools.cache
def _redoc_js() -> bytes:
    return (ASSETS_DIR / REDOC_JS).read_bytes().replace(REDOC_CDN_LOGO, b"docs/assets/favicon.png")


@router.get(ASSETS + "/{name}")
def asset(name: str) -> Response:
    cache = {"Cache-Control": "public, max-age=86400"}
    if name == REDOC_JS:
        return Response(_redoc_js(), media_type="text/javascript", headers=cache)
    path = _assets().get(name)
    if path is None:
        raise HTTPException(404, f"docs asset: no such file {name[:60]!r}")
    return FileResponse(path, headers=cache)
