"""Printing a body's page gives its to-do list on at most 3 A4 pages (Chromium's own PDF
output, pages counted in the PDF), and every page ends with the rulebook that produced it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser

from quyche_rules.engine.engine import Engine

from .test_pages_browser import browser, engine, site  # noqa: F401  (fixtures)

PAGE = re.compile(rb"/Type\s*/Page[^s]")


@pytest.mark.parametrize("body", ["ban_to_chuc_tinh_uy", "ban_noi_chinh_tinh_uy"])
def test_a_bodys_page_prints_on_at_most_three_a4_pages(
    browser: Browser,  # noqa: F811
    site: str,  # noqa: F811
    engine: Engine,  # noqa: F811
    body: str,
) -> None:
    page = browser.new_page()
    try:
        page.goto(f"{site}bodies/{body}.html")
        footer = page.locator("footer .provenance")
        assert engine.rulebook.content_hash[:16] in footer.inner_text()
        assert re.search(r"\d{2}/\d{2}/\d{4}", footer.inner_text())
        pdf = page.pdf(format="A4")
    finally:
        page.close()
    pages = len(PAGE.findall(pdf))
    assert 1 <= pages <= 3, pages
