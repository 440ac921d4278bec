"""axe-core (the copy shipped inside the ``axe-playwright-python`` package: no CDN) on every
page, in Vietnamese and in English, at desktop and at phone width (390 px), against the live
service of ``tests/browser.py``: zero violations. The Morning page is also
checked with a body's cases laid out by its script, in both languages.

The literate view (``/``, ~750 KB) takes axe about 50 s on a two-core machine, even when
told to look at a part of it: it is checked whole once (Vietnamese, desktop:
``test_pages_browser``); in the three other settings the page is loaded whole and every
Article but 2 and 4 (between them every kind of unit: encoded, non-actionable) is taken out
before axe runs — the header, legend, search form, contents and footer stay, and the Articles
taken out are the same markup. Each Article's own page is checked whole.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from playwright.sync_api import Browser, Page, expect

from .test_pages_browser import (
    BODY,
    REQUESTED,
    Live,
    _morning,
    _violations,
)

PAGES = ["bodies/", f"bodies/{BODY}", "ask", "morning", "articles/4", "bodies/no_such_body"]
SIZES = {"desktop": (1280, 900), "phone": (390, 844)}
CHECKED_THERE = {"bodies/", f"bodies/{BODY}", "ask", "morning"}
#: the Articles of the literate view kept for axe in the settings not checked whole
KEPT = ("dieu-2", "dieu-4")


@contextmanager
def _sized(browser: Browser, size: str) -> Iterator[Page]:
    width, height = SIZES[size]
    ctx = browser.new_context(
        viewport={"width": width, "height": height}, locale="vi-VN", is_mobile=width < 600
    )
    try:
        yield ctx.new_page()
    finally:
        ctx.close()


@pytest.fixture(params=sorted(SIZES))
def sized(request: pytest.FixtureRequest, browser: Browser) -> Iterator[Page]:
    with _sized(browser, request.param) as page:
        yield page


#: (page, language, size): every page in every setting, but the five pages that
#: ``test_pages_browser`` already checks in Vietnamese at desktop width
MATRIX = [
    (path, lang, size)
    for path in PAGES
    for lang in ("vi", "en")
    for size in sorted(SIZES)
    if not (path in CHECKED_THERE and lang == "vi" and size == "desktop")
]


@pytest.mark.parametrize(("path", "lang", "size"), MATRIX)
def test_axe_finds_nothing_on_any_page(
    browser: Browser,
    live: Live,
    path: str,
    lang: str,
    size: str,
) -> None:
    with _sized(browser, size) as page:
        page.goto(f"{live.url}{path}?lang={lang}")
        expect(page.locator("main h1")).to_be_visible()
        assert _violations(page) == []


@pytest.mark.parametrize(("lang", "size"), [("vi", "phone"), ("en", "desktop"), ("en", "phone")])
def test_axe_finds_nothing_on_the_literate_view(
    browser: Browser,
    live: Live,
    lang: str,
    size: str,
) -> None:
    with _sized(browser, size) as page:
        page.goto(f"{live.url}?lang={lang}")
        left = page.evaluate(
            """(kept) => {
                 for (const s of document.querySelectorAll("section.article"))
                   if (!kept.includes(s.id)) s.remove();
                 return [...document.querySelectorAll("section.article")].map((s) => s.id); }""",
            list(KEPT),
        )
        assert left == list(KEPT)
        assert page.locator("#find, nav.toc, section.legend, footer.site").count() == 4
        assert _violations(page) == []


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_axe_finds_nothing_on_the_morning_pages_cases(sized: Page, live: Live, lang: str) -> None:
    sized.goto(f"{live.url}morning?lang={lang}")
    _morning(sized, live, live.keys[REQUESTED], dt.date(2025, 2, 12))
    expect(sized.locator("[data-group='owes'] tbody tr")).to_have_count(1)
    assert _violations(sized) == []
