"""``/docs`` and ``/redoc`` render in Debian's Chromium with every other host blocked.

A provincial intranet has no CDN: the pages must come whole from the service (assets of the
``fastapi-offline`` distribution). Every request the browser makes to a host other than the
live server is aborted *and recorded*, so a page that merely tolerates a missing font or
favicon still fails here. Run twice: against this checkout, and against ``quyche serve`` of
the wheel installed in a venv outside the checkout (what an operator deploys).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import Browser, Page, Route, expect

from .browser import Live
from .live import quyche_serve


@pytest.fixture(scope="module", params=["checkout", "wheel"])
def base(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The same pages twice: from this checkout (the live service every browser test
    shares, ``tests/browser.py``), and from ``quyche serve`` of the wheel installed in a
    venv outside the checkout, run from a directory that has no checkout: there the assets
    must come from the installed distributions."""
    if request.param == "checkout":
        live: Live = request.getfixturevalue("live")
        yield live.url.rstrip("/")
        return
    where = tmp_path_factory.mktemp("docs")
    venv: Path = request.getfixturevalue("full_wheel_venv")
    with quyche_serve(
        "--db",
        f"sqlite:///{where / 'service.db'}",
        command=venv / "bin" / "quyche",
        probe="/healthz",
        cwd=where,
        log=where / "serve.log",
    ) as served:
        yield served.base


@pytest.fixture
def offline(browser: Browser, base: str) -> Iterator[tuple[Page, list[str]]]:
    """A page whose requests to any other host are aborted; the list gets those requests,
    failed requests, HTTP errors and console errors."""
    ctx = browser.new_context(locale="vi-VN")
    problems: list[str] = []
    here = urlsplit(base).netloc

    def gate(route: Route) -> None:
        url = route.request.url
        if urlsplit(url).scheme in ("data", "blob") or urlsplit(url).netloc == here:
            route.continue_()
        else:
            problems.append(f"other host: {url}")
            route.abort("internetdisconnected")

    ctx.route("**/*", gate)
    page = ctx.new_page()
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on(
        "response", lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 else None
    )
    try:
        yield page, problems
    finally:
        ctx.close()


def test_swagger_ui_renders_offline(offline: tuple[Page, list[str]], base: str) -> None:
    page, problems = offline
    page.goto(f"{base}/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("quyche-rules", timeout=20000)
    expect(page.locator(".opblock-summary-path", has_text="/v1/notify").first).to_be_visible()
    page.wait_for_load_state("networkidle")
    assert problems == []


def test_redoc_renders_offline(offline: tuple[Page, list[str]], base: str) -> None:
    page, problems = offline
    page.goto(f"{base}/redoc")
    expect(page.locator("h1").first).to_contain_text("quyche-rules", timeout=20000)
    expect(page.get_by_text("/v1/notify").first).to_be_attached()
    page.wait_for_load_state("networkidle")
    assert problems == []


def test_only_the_shipped_assets_are_served(base: str) -> None:
    assert httpx.get(f"{base}/docs/assets/swagger-ui-bundle.js").status_code == 200
    assert httpx.get(f"{base}/docs/assets/..%2Fcore.py").status_code == 404
    html = httpx.get(f"{base}/docs").text + httpx.get(f"{base}/redoc").text
    assert "cdn." not in html and "fonts.googleapis" not in html and "https://" not in html
