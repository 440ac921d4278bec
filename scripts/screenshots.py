"""Screenshots of every view, desktop and phone, for the guides: ``artifacts/screenshots/``.

    .venv/bin/python scripts/screenshots.py [--out DIR]

Starts the service with its pages on 127.0.0.1 (a free port, a throw-away SQLite file,
stopped at the end), records the README's morning case (``examples/tracker/01`` and ``02``)
and one request with a subject through ``POST /v1/track``, and photographs each view with
Debian's Chromium (Playwright): the literate view, the bodies, a body's duties, an Article's
page, the Ask page with an answer, the Morning page with a body's cases — in Vietnamese at
desktop (1280 px) and phone (390 px) width, and in English at desktop width. The files are
named ``view-<view>-<lang>-<size>.png`` (the names the guides link; ``tests/test_screenshots.py``
checks they are all there); run it again after a change to the pages, so they are not stale.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "artifacts" / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")
SIZES = {"desktop": (1280, 900), "phone": (390, 844)}
REQUESTER, REQUESTED = "dang_uy_khoi", "ban_noi_chinh_tinh_uy"
#: (view, path): what is photographed, in the guides' order
VIEWS = (
    ("literate", ""),
    ("bodies", "bodies/"),
    ("body", f"bodies/{REQUESTER}"),
    ("article", "articles/3"),
    ("ask", "ask"),
    ("morning", "morning"),
)
#: (language, size) of each view's screenshots
SETTINGS = (("vi", "desktop"), ("vi", "phone"), ("en", "desktop"))


def names() -> list[str]:
    """Every file this script writes (the guides link them)."""
    return [f"view-{v}-{lang}-{size}.png" for v, _p in VIEWS for lang, size in SETTINGS]


@contextmanager
def _service(db: Path) -> Iterator[tuple[str, dict[str, str]]]:
    import httpx
    import uvicorn

    from quyche_rules.io.yamlio import parse_yaml
    from quyche_rules.service import Settings, create_app
    from quyche_rules.service.auth import new_key

    app = create_app(Settings(db_url=f"sqlite:///{db}", rate_per_minute=0, access_log=False))
    store = app.state.services.store
    keys = {p: new_key(store, party=p, admin=False)[0] for p in (REQUESTER, REQUESTED)}
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        if not thread.is_alive():
            raise SystemExit("screenshots: the service did not start")
        time.sleep(0.02)
    url = f"http://127.0.0.1:{port}/"
    try:
        events: list[tuple[dict[str, Any], str]] = []
        for name, sender in (
            ("01-request-before-tet.yaml", REQUESTER),
            ("02-extension.yaml", REQUESTED),
        ):
            path = ROOT / "examples" / "tracker" / name
            data = parse_yaml(path.read_text(encoding="utf-8"), file=str(path))
            events.append((json.loads(json.dumps(data, default=str)), sender))
        events.append(
            (
                {
                    "type": "coordination_requested",
                    "date": "2025-02-10",
                    "reference": "31-CV/ĐUK",
                    "summary": "Đề nghị góp ý dự thảo quy chế làm việc của Đảng ủy Khối",
                    "requester": REQUESTER,
                    "requested": REQUESTED,
                    "received_on": "2025-02-10",
                },
                REQUESTER,
            )
        )
        for event, sender in events:
            res = httpx.post(
                url + "v1/track", json=event, headers={"Authorization": f"Bearer {keys[sender]}"}
            )
            res.raise_for_status()
        yield url, keys
    finally:
        server.should_exit = True
        thread.join(10)


def _ask(page: Any, key: str) -> None:
    """An answer on the Ask page: a request received before Tết (Art. 3.1, 7 working days)."""
    fs = page.locator("fieldset[data-event='coordination_requested']")
    fs.locator("[name=date]").fill("2025-01-23")
    fs.locator("[name=requester]").select_option(REQUESTER)
    fs.locator("[name=requested]").select_option(REQUESTED)
    fs.locator("[name=received_on]").fill("2025-01-23")
    page.locator("#api-key").fill(key)
    page.locator("#ask button[type=submit]").click()
    page.locator("#obligations tbody tr").first.wait_for()
    page.evaluate("document.getElementById('answer').scrollIntoView()")


def _morning(page: Any, key: str) -> None:
    """The Morning page of the requested body on 12/02/2025: the extended case and a new one."""
    page.locator("#m-key").fill(key)
    page.locator("#m-as-of").fill("2025-02-12")
    page.locator("#morning button[type=submit]").click()
    page.locator("[data-group='owes'] tbody tr").first.wait_for()
    page.evaluate("document.getElementById('report').scrollIntoView()")


def shoot(out: Path) -> list[Path]:
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        raise SystemExit("screenshots: Debian's chromium is missing (scripts/setup-system)")
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    with tempfile.TemporaryDirectory() as tmp, _service(Path(tmp) / "service.db") as (url, keys):
        actions: dict[str, Callable[[Any], None]] = {
            "ask": lambda page: _ask(page, keys[REQUESTER]),
            "morning": lambda page: _morning(page, keys[REQUESTED]),
        }
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=str(CHROMIUM), args=["--headless", "--no-sandbox"]
            )
            try:
                for view, path in VIEWS:
                    for lang, size in SETTINGS:
                        width, height = SIZES[size]
                        ctx = browser.new_context(
                            viewport={"width": width, "height": height},
                            locale="vi-VN" if lang == "vi" else "en-GB",
                            is_mobile=size == "phone",
                        )
                        page = ctx.new_page()
                        page.goto(f"{url}{path}?lang={lang}")
                        if view in actions:
                            actions[view](page)
                        target = out / f"view-{view}-{lang}-{size}.png"
                        page.screenshot(path=str(target))
                        written.append(target)
                        ctx.close()
            finally:
                browser.close()
    return written


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="scripts/screenshots.py", description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=OUT, help=f"where to write (default {OUT})")
    args = ap.parse_args(argv)
    started = dt.datetime.now()
    files = shoot(args.out)
    took = (dt.datetime.now() - started).total_seconds()
    print(f"wrote {len(files)} screenshots to {args.out} in {took:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
