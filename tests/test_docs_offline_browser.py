"""``/docs`` and ``/redoc`` render in Debian's Chromium with every other host blocked.

A provincial intranet has no CDN: the pages must come whole from the service (assets of the
``fastapi-offline`` distribution). Every request the browser makes to a host other than the
live server is aborted *and recorded*, so a page that merely tolerates a missing font or
favicon still fails here. Run twice: against this checkout, and against ``quyche serve`` of
the wheel installed in a venv outside the checkout (what an operator deploys).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
import uvicorn
from playwright.sync_api import Browser, Page, Route, expect, sync_playwright

from quyche_rules.engine.engine import Engine
from quyche_rules.rulebook.loader import Rulebook
from quyche_rules.service import Settings, create_app

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
        "--disable-background-networking", "--disable-component-update"]  # fmt: skip


@contextmanager
def _in_process(where: Path, book: Rulebook) -> Iterator[str]:
    """The service from this checkout, in a thread."""
    db = f"sqlite:///{where / 'service.db'}"
    app = create_app(
        Settings(db_url=db, rate_per_minute=0, access_log=False),
        engine=Engine(book, backend="python"),
    )
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


@contextmanager
def _from_wheel(where: Path, venv: Path) -> Iterator[str]:
    """``quyche serve`` of the wheel installed outside the checkout, run from a directory
    that has no checkout: the assets must come from the installed distributions."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    log = where / "serve.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [venv / "bin" / "quyche", "serve", "--port", str(port),
             "--db", f"sqlite:///{where / 'service.db'}"],
            cwd=where, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, log.read_text()[-2000:]
            time.sleep(0.2)
        yield base
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@pytest.fixture(scope="module", params=["checkout", "wheel"])
def base(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The same pages twice: from this checkout, and from the wheel installed elsewhere."""
    where = tmp_path_factory.mktemp("docs")
    if request.param == "checkout":
        server = _in_process(where, request.getfixturevalue("book"))
    else:
        server = _from_wheel(where, request.getfixturevalue("full_wheel_venv"))
    with server as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert CHROMIUM.exists(), "Debian's chromium is missing: run scripts/setup-system"
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield b
        finally:
            b.close()


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
