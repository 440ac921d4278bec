"""Every screen on a phone: at 390 px wide no page scrolls sideways (Debian's Chromium via
Playwright, against the live service of tests/browser.py). Screenshots go to
artifacts/screenshots/phone-*.png."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page

from .test_pages_browser import BODY, SCREENSHOTS, Live


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:
    ctx = browser.new_context(
        viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True,
        has_touch=True, locale="vi-VN",
    )  # fmt: skip
    try:
        yield ctx.new_page()
    finally:
        ctx.close()


@pytest.mark.parametrize("path", ["", "bodies/", f"bodies/{BODY}", "ask", "morning"])
def test_no_page_scrolls_sideways_on_a_phone(phone: Page, live: Live, path: str) -> None:
    phone.goto(live.url + path)
    wide = phone.evaluate(
        """() => [...document.querySelectorAll('body *')]
             .filter((e) => e.getBoundingClientRect().right > 391)
             .slice(0, 8)
             .map((e) => e.tagName + "." + e.className + ":" + e.getBoundingClientRect().right)"""
    )
    width = phone.evaluate("document.documentElement.scrollWidth")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    phone.screenshot(
        path=str(SCREENSHOTS / f"phone-{path.strip('/').replace('/', '-') or 'literate'}.png")
    )
    assert width <= 390, (path, width, wide)
