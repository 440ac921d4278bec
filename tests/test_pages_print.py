"""Printing: a body's page gives its to-do list on at most 3 A4 pages (Chromium's own PDF
output, pages counted in the PDF) for the bodies with the most entries, and an Article's
page prints that Article alone with its rules; every print ends with the rulebook that
produced it (hash, version, date)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page

from quyche_rules.engine.engine import Engine
from quyche_rules.pages.phrases import default_phrasebook
from quyche_rules.pages.views import Links, ViewBuilder

PAGE = re.compile(rb"/Type\s*/Page[^s]")
#: how many of the largest bodies are printed (the largest first)
LARGEST = 3


def _entries(eng: Engine, party: str) -> int:
    """How many entries the body's page prints (a rule in two groups is printed twice)."""
    view = ViewBuilder(eng, default_phrasebook(), Links()).body(party)
    return sum(len(duties) for _kind, duties in view.groups)


def _largest(eng: Engine) -> list[str]:
    ranked = sorted(eng.parties, key=lambda p: (-_entries(eng, p.id), p.id))
    return [p.id for p in ranked[:LARGEST]]


def _pdf_pages(page: Page, eng: Engine) -> int:
    footer = page.locator("footer .provenance")
    assert eng.rulebook.content_hash[:16] in footer.inner_text()
    assert re.search(r"\d{2}/\d{2}/\d{4}", footer.inner_text())
    return len(PAGE.findall(page.pdf(format="A4")))


def test_the_largest_bodies_are_the_ones_printed(engine: Engine) -> None:
    """The bodies checked below are the largest by what their pages print, so every other
    body's page is shorter; the body the regulation is about is among them."""
    largest = _largest(engine)
    sizes = sorted((_entries(engine, p.id) for p in engine.parties), reverse=True)
    assert [_entries(engine, p) for p in largest] == sizes[:LARGEST]
    assert "dang_uy_khoi" in largest


@pytest.mark.parametrize("rank", range(LARGEST))
def test_a_bodys_page_prints_on_at_most_three_a4_pages(
    browser: Browser,
    site: str,
    engine: Engine,
    rank: int,
) -> None:
    body = _largest(engine)[rank]
    page = browser.new_page()
    try:
        page.goto(f"{site}bodies/{body}.html")
        pages = _pdf_pages(page, engine)
    finally:
        page.close()
    assert 1 <= pages <= 3, (body, pages)


def test_an_articles_page_prints_that_article_with_its_rules(
    browser: Browser,
    site: str,
    engine: Engine,
) -> None:
    number = 3
    rules = [r.id for r in engine.rulebook if r.basis.article == number]
    page = browser.new_page()
    try:
        page.goto(f"{site}index.html")
        page.locator(f"#dieu-{number} .print-link a").click()  # the literate view links it
        assert page.url.endswith(f"articles/{number}.html")
        units = page.locator(".unit")
        assert units.count() > 0
        assert set(units.evaluate_all("(us) => us.map((u) => u.dataset.article)")) == {str(number)}
        shown = page.locator(".rule").evaluate_all("(rs) => rs.map((r) => r.dataset.rule)")
        assert sorted(shown) == sorted(rules)
        page.emulate_media(media="print")
        assert not page.locator("header.site nav").is_visible()
        assert page.locator(".rule .f-when").first.is_visible()
        assert 1 <= _pdf_pages(page, engine) <= 12
    finally:
        page.close()
