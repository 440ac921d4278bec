"""One Chromium and one live service for every browser test of the run.

Launching Debian's Chromium and starting the service with its pages (uvicorn on 127.0.0.1,
its own SQLite file, keys made by the service's own store API, the README's morning case
recorded through ``POST /v1/track``) cost seconds each; every browser test module used to do
both for itself. These fixtures are session-scoped and registered for the whole suite by
``tests/conftest.py`` (``pytest_plugins``), so a run pays once. Each test still gets its own
browser *context* (cookies, storage, viewport), so no page state is shared between tests.

What the shared service holds is only ever added to by the tests (a new case with its own
reference and dates), never changed under another test's feet: a test that reads the
morning case asks for dates before anything else recorded.
"""

from __future__ import annotations

import functools
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from quyche_rules.engine.engine import Engine
from quyche_rules.io.yamlio import parse_yaml
from quyche_rules.rulebook.loader import Rulebook

if TYPE_CHECKING:
    from playwright.sync_api import Browser

# Playwright, the service and the pages are imported by the fixtures that use them: every
# run loads this plugin, most runs need none of them.

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples" / "tracker"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
REQUESTER = "dang_uy_khoi"
REQUESTED = "ban_noi_chinh_tinh_uy"


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def example(name: str) -> dict[str, Any]:
    """One of the README's morning-case files (``examples/tracker/``), parsed."""
    path = EXAMPLES / name
    data: dict[str, Any] = parse_yaml(path.read_text(encoding="utf-8"), file=str(path))
    return data


@dataclass(frozen=True)
class Live:
    url: str  # the base URL, ending in "/"
    admin: str
    keys: dict[str, str]  # party id -> that body's key

    def auth(self, party: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[party]}"}

    def get(self, path: str, key: str) -> httpx.Response:
        return httpx.get(self.url + path, headers={"Authorization": f"Bearer {key}"})


@pytest.fixture(scope="session")
def engine(book: Rulebook) -> Engine:
    """The pure-Python engine the live service and the static site answer with."""
    return Engine(book, backend="python")


@pytest.fixture(scope="session")
def live(tmp_path_factory: pytest.TempPathFactory, engine: Engine) -> Iterator[Live]:
    """The service with its pages, under uvicorn on 127.0.0.1, and the README's morning
    case (examples/tracker/01 and 02) recorded through its ``POST /v1/track``."""
    from quyche_rules.service import Settings, create_app
    from quyche_rules.service.auth import new_key

    from .security.live import serving

    db = f"sqlite:///{tmp_path_factory.mktemp('live') / 'service.db'}"
    app = create_app(Settings(db_url=db, rate_per_minute=0, access_log=False), engine=engine)
    store = app.state.services.store
    admin, _ = new_key(store, party=None, admin=True)
    keys = {p: new_key(store, party=p, admin=False)[0] for p in (REQUESTER, REQUESTED)}
    with serving(app, access_log=False) as (host, port):
        live = Live(f"http://{host}:{port}/", admin, keys)
        for name, sender in (
            ("01-request-before-tet.yaml", REQUESTER),
            ("02-extension.yaml", REQUESTED),
        ):
            event = json.loads(json.dumps(example(name), default=str))  # dates as ISO text
            res = httpx.post(live.url + "v1/track", json=event, headers=live.auth(sender))
            assert res.status_code == 200, res.text
        yield live


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory, engine: Engine) -> Iterator[str]:
    """The static site of ``quyche render --html`` on a loopback http.server."""
    from quyche_rules.pages import write_site

    root = tmp_path_factory.mktemp("site")
    write_site(engine, root)
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's Chromium (never a downloaded build), launched once for the run."""
    from playwright.sync_api import sync_playwright

    assert CHROMIUM.exists(), "Debian's chromium is missing: run scripts/setup-system"
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()
