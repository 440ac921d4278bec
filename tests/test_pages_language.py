"""One language at a time, in a real browser (Debian's Chromium via Playwright, against the
live service of ``tests/browser.py``): the Vietnamese view of every page shows
no English sentence outside the language switch, and the English view no Vietnamese outside
what is marked as Vietnamese (``lang="vi"``: the regulation's own words and quotes, a
letter's number and subject). Both with the pages as served and with what their scripts
write (an Ask answer, the Morning page's cases).

What a person reads is checked: visible text, the options of the visible lists, the
accessible names (``aria-label``, ``title``, ``placeholder``) and the document's title.
Machine text (``<code>``, the receipt's JSON) is not a sentence and is left out.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from quyche_rules.engine.engine import Engine

from .test_pages_browser import (
    BODY,
    REQUESTED,
    REQUESTER,
    Live,
    _fill_request,
    _morning,
)

PAGES = ["", "bodies/", f"bodies/{BODY}", "ask", "morning"]

#: English function words: one of them in the Vietnamese view is an English sentence (no
#: Vietnamese word is spelt like these without its diacritics)
ENGLISH = frozenset(
    re.findall(
        r"\w+",
        """the of and is are was were for with by from this that these those its been or not
        must shall when which who what if than then there their they you your into about each
        every any only none yet does has have will would should on at it""",
    )
)
#: the letters only Vietnamese writes (every vowel with a tone or a hat, and đ)
VIETNAMESE = "àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ"

#: every piece of text a person meets on the page, with the language it is marked in
COLLECT = """() => {
  const out = [];
  const skip = (e) => e.closest(".lang-switch, code, pre, script, style, noscript, title");
  const langOf = (e) => (e.closest("[lang]") || document.documentElement).lang;
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const e = n.parentElement;
    const text = n.textContent.trim();
    if (!text || !e || skip(e)) continue;
    if (e.tagName === "OPTION") {
      const sel = e.closest("select");
      if (sel && sel.checkVisibility()) out.push([text, langOf(e), "option"]);
      continue;
    }
    if (e.checkVisibility()) out.push([text, langOf(e), e.tagName.toLowerCase()]);
  }
  for (const e of document.querySelectorAll("[aria-label], [title], [placeholder]")) {
    if (skip(e) || !e.checkVisibility()) continue;
    for (const a of ["aria-label", "title", "placeholder"]) {
      const v = e.getAttribute(a);
      if (v) out.push([v, langOf(e), a]);
    }
  }
  out.push([document.title, document.documentElement.lang, "title"]);
  return out;
}"""


def _check(page: Page, lang: str) -> None:
    found = _foreign(page, lang)
    assert not found, f"{page.url} ({lang}):\n" + "\n".join(found)


def _foreign(page: Page, lang: str) -> list[str]:
    """What the page shows in the other language: an English function word in the
    Vietnamese view, a Vietnamese letter outside ``lang="vi"`` in the English view."""
    found: list[str] = []
    for text, marked, where in page.evaluate(COLLECT):
        if lang == "vi":
            words = {w.lower() for w in _words(text)}
            hit = sorted(words & ENGLISH)
            if hit:
                found.append(f"{where}: {text[:90]!r} ({', '.join(hit)})")
        elif marked != "vi" and any(ch in VIETNAMESE for ch in text.lower()):
            found.append(f"{where}: {text[:90]!r}")
    return found


def _words(text: str) -> list[str]:
    """The words written in ASCII letters only (a Vietnamese word with a diacritic is
    never one of ``ENGLISH``); an identifier such as ``requested_by`` is not a word."""
    return [w for w in re.findall(r"[^\W\d]+", text) if w.isascii() and "_" not in w]


@pytest.fixture
def desk(browser: Browser) -> Iterator[Page]:
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN")
    try:
        yield ctx.new_page()
    finally:
        ctx.close()


def test_the_word_check_can_fail(desk: Page, live: Live) -> None:
    """An English sentence planted in the Vietnamese view, and a Vietnamese one in the
    English view, are both found; the same words marked as quoted Vietnamese are not."""
    desk.goto(live.url + "bodies/")
    desk.evaluate("document.querySelector('main h1').append(' Pick one of the bodies')")
    assert any("(of, the)" in f for f in _foreign(desk, "vi"))
    desk.goto(live.url + "bodies/?lang=en")
    desk.evaluate("document.querySelector('main h1').append(' Chọn cơ quan')")
    assert any("Chọn cơ quan" in f for f in _foreign(desk, "en"))
    desk.evaluate(
        """() => { const q = document.createElement('q'); q.lang = 'vi';
                   q.textContent = 'Chọn cơ quan khác';
                   document.querySelector('main').append(q); }"""
    )
    assert not any("cơ quan khác" in f for f in _foreign(desk, "en"))


@pytest.mark.parametrize("lang", ["vi", "en"])
@pytest.mark.parametrize("path", PAGES)
def test_each_page_is_in_one_language(desk: Page, live: Live, path: str, lang: str) -> None:
    desk.goto(f"{live.url}{path}?lang={lang}")
    assert desk.evaluate("document.documentElement.lang") == lang
    _check(desk, lang)


def test_what_the_scripts_write_is_in_one_language(
    desk: Page,
    live: Live,
    engine: Engine,
) -> None:
    """An Ask answer and the Morning page's cases, in Vietnamese, then after the switch."""
    desk.goto(live.url + "ask")
    _fill_request(desk, engine, dt.date(2025, 3, 3), live.keys[REQUESTER])
    expect(desk.locator("#obligations tbody tr").first).to_be_visible()
    _check(desk, "vi")
    desk.locator("#lang-en").check()
    _check(desk, "en")

    desk.goto(live.url + "morning?lang=vi")
    _morning(desk, live, live.keys[REQUESTED], dt.date(2025, 2, 12))
    expect(desk.locator("[data-group='owes'] tbody tr")).to_have_count(1)
    _check(desk, "vi")
    desk.locator("#lang-en").check()
    _check(desk, "en")
