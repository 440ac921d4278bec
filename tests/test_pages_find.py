"""Search and filters on the literate view, offline: a word of a clause finds it (with or
without diacritics), and the filters by body, duty, article, deadline and coverage narrow
the list (the live service of tests/browser.py, Debian's Chromium)."""

from __future__ import annotations

from playwright.sync_api import Browser, expect

from .browser import Live


def test_search_finds_a_clause_and_filters_narrow(browser: Browser, live: Live) -> None:
    page = browser.new_page()
    try:
        page.goto(live.url)
        shown = page.locator(".unit:not([hidden])")
        total = shown.count()
        assert total > 50
        page.get_by_label("Tìm trong văn bản và quy tắc").fill("đồng ý với ý kiến")
        expect(page.locator("#dieu-3-1")).to_be_visible()
        assert 1 <= shown.count() < total
        page.get_by_label("Tìm trong văn bản và quy tắc").fill("dong y voi y kien")  # no marks
        expect(page.locator("#dieu-3-1")).to_be_visible()
        page.get_by_label("Tìm trong văn bản và quy tắc").fill("")
        expect(shown).to_have_count(total)
        page.locator("#find-article").select_option("5")
        n5 = shown.count()
        assert 0 < n5 < total
        assert all(a == "5" for a in shown.evaluate_all("us => us.map(u => u.dataset.article)"))
        page.get_by_label("Chỉ nghĩa vụ có thời hạn").check()
        assert 0 < shown.count() < n5
        page.locator("#find-article").select_option("")
        page.get_by_label("Chỉ nghĩa vụ có thời hạn").uncheck()
        page.locator("#find-body").select_option("ubkt_tinh_uy")
        assert 0 < shown.count() < total
        page.locator("#find-body").select_option("")
        page.get_by_label("Mức thể hiện").select_option("non-actionable")
        expect(shown).to_have_count(5)
        expect(page.locator("#find-count")).to_contain_text("5 / ")
    finally:
        page.close()
