"""The pages in a real browser: Debian's Chromium, driven by Playwright.

The static site is written once into a temporary directory and served from a loopback
``http.server`` thread (an http origin, as the service will be, so the language choice can
be remembered). Every expectation is computed from the rulebook, the registry and
``Engine.duties_of`` — never from a list written here. Screenshots of the views go to
``artifacts/screenshots/`` (kept by CI as artefacts, ignored by git).

The Ask form needs the HTTP service (issue 11), which is not on this branch: its test
answers ``POST /v1/notify`` inside the browser (Playwright routing) with the real engine's
obligations for the event the page posted, so the form, its JSON, the fetch and the display
are the real ones; wiring the page into the service replaces only that stand-in.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, Route, expect, sync_playwright

from quyche_rules.engine import Engine
from quyche_rules.errors import QuycheError
from quyche_rules.events import EVENT_TYPES, events_json_schema
from quyche_rules.pages import Pages, anchor, write_site
from quyche_rules.rulebook import Rule, Rulebook

ROOT = Path(__file__).resolve().parents[1]
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
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


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def engine(book: Rulebook) -> Engine:
    return Engine(book, backend="python")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, engine: Engine) -> Iterator[str]:
    """The static site (plus the Ask page) served on 127.0.0.1; yields its base URL."""
    root = tmp_path_factory.mktemp("site")
    write_site(engine, root)
    (root / "ask.html").write_text(
        Pages(engine, ask_href="ask.html").ask_form(notify_url="/v1/notify"), encoding="utf-8"
    )
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert CHROMIUM.exists(), "Debian's chromium is missing: see the browser block of .ci/run"
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def problems() -> list[str]:
    """What went wrong on the page: console errors, page errors, failed requests."""
    return []


@pytest.fixture
def page(browser: Browser, problems: list[str]) -> Iterator[Page]:
    """A fresh page (own context, so no state is shared) that records its problems."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN")
    pg = ctx.new_page()
    pg.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    pg.on("pageerror", lambda e: problems.append(str(e)))
    pg.on("requestfailed", lambda r: problems.append(f"failed: {r.url}"))
    pg.on("response", lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    try:
        yield pg
    finally:
        ctx.close()


def _shot(page: Page, name: str, *, full_page: bool = False) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page)


def _kinds(rule: Rule) -> set[str]:
    """The groups a rule belongs to, read from the rule's own triggers."""
    kinds = {"standing"} if rule.standing else set()
    kinds |= {"periodic" if t.period is not None else "event" for t in rule.event_triggers}
    return kinds


# --- the literate view -----------------------------------------------------------------------


@pytest.mark.parametrize("path", ["index.html", "bodies/index.html", "ask.html"])
def test_pages_load_without_console_errors(
    page: Page, problems: list[str], site: str, path: str
) -> None:
    page.goto(site + path)
    page.wait_for_load_state("networkidle")
    assert problems == []
    expect(page.locator("main h1")).to_be_visible()


def test_every_clause_of_articles_2_to_17_appears_with_its_rules(
    page: Page, site: str, book: Rulebook
) -> None:
    page.goto(site + "index.html")
    shown: list[dict[str, Any]] = page.evaluate(
        """() => Array.from(document.querySelectorAll('.unit'), u => ({
            basis: u.dataset.basis, id: u.id, status: u.dataset.status,
            text: u.querySelector('blockquote').textContent.trim(),
            rules: Array.from(u.querySelectorAll('.rule'), r => r.dataset.rule),
            cards: Array.from(u.querySelectorAll('.rule'), r => r.innerText),
            reason: (u.querySelector('.reason') || {}).textContent || null,
        }))"""
    )
    by_label = {u["basis"]: u for u in shown}
    expected = [b for b in book.regulation.units if 2 <= b.article <= 17]
    assert expected
    for basis in expected:
        u = by_label.get(str(basis))
        assert u is not None, f"{basis} is not on the page"
        unit = book.regulation.units[basis]
        assert " ".join(u["text"].split()) == unit.text
        rules = sorted(r.id for r in book.rules_for(basis))
        assert u["rules"] == rules, f"{basis}: page shows {u['rules']}, rulebook has {rules}"
        if basis.clause is not None:
            assert u["id"] == anchor(basis)
        if rules:
            assert u["status"] == "covered"
            for rid, card in zip(rules, u["cards"], strict=True):
                rule = book.rules[rid]
                for ref in (rule.obligated, *rule.counterparties):
                    if not ref.startswith("@"):
                        assert book.parties.parties[ref].name_vi in card, f"{rid}: {ref}"
                assert rule.quote in " ".join(card.split())
        else:
            na = book.non_actionable[basis]
            assert u["status"] == "non-actionable" and na.reason in " ".join(u["reason"].split())
    assert len(shown) == len(book.regulation.units)  # and nothing else, nothing twice


def test_a_clause_anchor_scrolls_to_the_clause(page: Page, site: str) -> None:
    page.goto(site + "index.html#dieu-3-1")
    target = page.locator("#dieu-3-1")
    expect(target).to_be_in_viewport()
    expect(target.locator("h3")).to_contain_text("Điều 3.1")
    _shot(page, "literate")


def test_english_toggle_with_and_without_javascript(browser: Browser, site: str) -> None:
    for js in (True, False):
        ctx = browser.new_context(java_script_enabled=js)
        pg = ctx.new_page()
        pg.goto(site + "index.html#dieu-3-1")
        vi = pg.locator("#dieu-3-1 .rule-sentence > .vi").first
        en = pg.locator("#dieu-3-1 .rule-sentence > .en").first
        expect(vi).to_be_visible()
        expect(en).to_be_hidden()
        pg.locator("#lang-en").check()
        expect(en).to_be_visible()
        expect(vi).to_be_hidden()
        if js:  # the script remembers the choice and tells assistive technology
            assert pg.evaluate("document.documentElement.lang") == "en"
            pg.goto(site + "bodies/index.html")
            expect(pg.locator("#lang-en")).to_be_checked()
            expect(pg.locator("h1 .en")).to_be_visible()
        ctx.close()


def test_keyboard_skip_link_and_language_switch(page: Page, site: str) -> None:
    page.goto(site + "index.html")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    expect(page.locator(".skip")).to_be_in_viewport()
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#main"
    for _ in range(10):  # on to the switch through the header, never stuck
        page.keyboard.press("Shift+Tab")
        if page.evaluate("document.activeElement.id") == "lang-en":
            break
    else:
        pytest.fail("the language switch cannot be reached with the keyboard")
    page.keyboard.press("Space")
    expect(page.locator("#lang-en")).to_be_checked()
    expect(page.locator("main h1 .en")).to_be_visible()


# --- a body's duties -------------------------------------------------------------------------


def test_bodies_index_lists_every_party(page: Page, site: str, book: Rulebook) -> None:
    page.goto(site + "bodies/index.html")
    listed = page.eval_on_selector_all("li[data-party]", "els => els.map(e => e.dataset.party)")
    assert sorted(listed) == sorted(p.id for p in book.parties)
    page.get_by_role("link", name=book.parties.parties["ban_to_chuc_tinh_uy"].name_vi).click()
    expect(page).to_have_url(site + "bodies/ban_to_chuc_tinh_uy.html")


def test_each_body_page_lists_exactly_what_duties_of_lists(
    page: Page, site: str, engine: Engine, book: Rulebook
) -> None:
    anchors = {anchor(b) for b in book.regulation.units} | {
        anchor(b).split("-")[0] + "-" + str(b.article) for b in book.regulation.units
    }
    for party in book.parties:
        page.goto(f"{site}bodies/{party.id}.html")
        shown: dict[str, list[str]] = page.evaluate(
            """() => Object.fromEntries(Array.from(document.querySelectorAll('[data-group]'),
                g => [g.dataset.group, Array.from(g.querySelectorAll('.rule'),
                                                  r => r.dataset.rule)]))"""
        )
        entries = engine.duties_of(party.id)
        for kind in ("standing", "periodic", "event"):
            want = [e.rule.id for e in entries if kind in _kinds(e.rule)]
            assert shown[kind] == want, f"{party.id}, {kind}"
        assert set().union(*map(set, shown.values())) == {e.rule.id for e in entries}
        hrefs = page.eval_on_selector_all(".rule .basis", "els => els.map(e => e.href)")
        for href in hrefs:
            assert href.startswith(site + "index.html#") and href.split("#")[1] in anchors
    page.goto(f"{site}bodies/ban_to_chuc_tinh_uy.html")
    _shot(page, "body")


def test_a_duty_links_to_its_clause(page: Page, site: str) -> None:
    page.goto(site + "bodies/ban_to_chuc_tinh_uy.html")
    link = page.locator("[data-group='event'] .rule .basis").first
    label = link.inner_text()
    link.click()
    frag = page.evaluate("location.hash").lstrip("#")
    expect(page.locator(f"#{frag} h3")).to_contain_text(label)
    expect(page.locator(f"#{frag}")).to_be_in_viewport()


# --- the Ask form (service not on this branch: see the module docstring) ---------------------


def test_the_ask_form_has_a_labelled_control_for_every_schema_field(page: Page, site: str) -> None:
    page.goto(site + "ask.html")
    schema = events_json_schema()
    for etype in EVENT_TYPES:
        model = schema["$defs"][schema["discriminator"]["mapping"][etype].rsplit("/", 1)[1]]
        fs = page.locator(f"fieldset[data-event='{etype}']")
        controls = fs.locator("[data-kind]")
        names = controls.evaluate_all("els => els.map(e => e.name)")
        assert sorted(names) == sorted(n for n in model["properties"] if n != "type"), etype
        required = fs.locator("[required]").evaluate_all("els => els.map(e => e.name)")
        assert sorted(required) == sorted(
            n
            for n in model.get("required", [])
            if n != "type" and "boolean" not in str(model["properties"][n])
        ), etype
    page.select_option("#event-type", "personnel_action")
    expect(page.locator("fieldset[data-event='personnel_action']")).to_be_visible()
    expect(page.locator("fieldset[data-event='coordination_requested']")).to_be_hidden()


def _answer_with_engine(engine: Engine, posted: list[dict[str, Any]]) -> Any:
    def handle(route: Route) -> None:
        event = json.loads(route.request.post_data or "null")
        posted.append(event)
        try:
            obs = engine.who_must_be_notified(event)
        except QuycheError as exc:
            route.fulfill(status=422, json={"detail": str(exc)})
            return
        route.fulfill(json={"obligations": [o.model_dump(mode="json") for o in obs]})

    return handle


def test_ask_a_request_received_before_tet_gives_art_3_1_with_its_due_date(
    page: Page, site: str, engine: Engine, book: Rulebook
) -> None:
    posted: list[dict[str, Any]] = []
    page.route("**/v1/notify", _answer_with_engine(engine, posted))
    page.goto(site + "ask.html")
    fs = page.locator("fieldset[data-event='coordination_requested']")
    received = dt.date(2025, 1, 23)  # the Thursday before the Tết break of 2025
    fs.get_by_label("Ngày xảy ra").fill("2025-01-22")
    fs.get_by_label("Cơ quan đề nghị phối hợp").select_option(
        label=book.parties.parties["dang_uy_khoi"].name_vi
    )
    fs.get_by_label("Cơ quan được đề nghị phối hợp").select_option(
        label=book.parties.parties["ban_noi_chinh_tinh_uy"].name_vi
    )
    fs.get_by_label("Ngày nhận văn bản").fill(received.isoformat())
    page.get_by_role("button", name="Hỏi").click()
    rows = page.locator("#obligations tbody tr")
    expect(rows.first).to_be_visible()
    assert posted == [
        {
            "type": "coordination_requested",
            "date": "2025-01-22",
            "requester": "dang_uy_khoi",
            "requested": "ban_noi_chinh_tinh_uy",
            "received_on": "2025-01-23",
            "topic": "general",
        }
    ]
    due = engine.calendar.deadline(received, 7).due
    assert due > dt.date(2025, 2, 2)  # the seven working days run past the holiday
    art31 = rows.filter(has_text="Điều 3.1").filter(has_text="Ban Nội chính Tỉnh ủy")
    expect(art31.first).to_contain_text(due.isoformat())
    expect(art31.first.locator("a")).to_have_attribute("href", "index.html#dieu-3-1")
    assert rows.count() == len(engine.who_must_be_notified(posted[0]))
    _shot(page, "ask", full_page=True)


def test_ask_shows_the_services_error_as_an_alert(page: Page, site: str, engine: Engine) -> None:
    page.route("**/v1/notify", _answer_with_engine(engine, []))
    page.goto(site + "ask.html")
    fs = page.locator("fieldset[data-event='coordination_requested']")
    fs.get_by_label("Ngày xảy ra").fill("2025-01-22")
    page.get_by_role("button", name="Hỏi").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("422")
    expect(alert).to_contain_text("requester")
    expect(page.locator("#obligations")).to_be_hidden()


def test_the_ask_form_works_from_the_keyboard(page: Page, site: str, engine: Engine) -> None:
    """Tab walks the visible controls in order (hidden fieldsets are skipped) and Enter on
    the button sends the question."""
    posted: list[dict[str, Any]] = []
    page.route("**/v1/notify", _answer_with_engine(engine, posted))
    page.goto(site + "ask.html")
    page.locator("#event-type").focus()
    visible = page.locator(
        "fieldset[data-event='coordination_requested'] [data-kind]"
    ).evaluate_all("els => els.map(e => e.id)")
    seen: list[str] = []
    for _ in range(4 * len(visible) + 3):  # a date input takes a Tab per part (dd, mm, yyyy)
        page.keyboard.press("Tab")
        focused = page.evaluate("document.activeElement.id || document.activeElement.tagName")
        if focused == "BUTTON":
            break
        if not seen or seen[-1] != focused:
            seen.append(focused)
    assert seen == [*visible, "api-key"]
    page.keyboard.press("Enter")
    expect(page.get_by_role("alert")).to_contain_text("422")
    assert posted and posted[0]["type"] == "coordination_requested"


# --- accessibility ---------------------------------------------------------------------------


def _violations(page: Page) -> list[str]:
    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {len(v['nodes'])} node(s), e.g. {v['nodes'][0]['target']}"
        for v in results.response["violations"]
    ]


@pytest.mark.parametrize(
    "path", ["index.html", "bodies/index.html", "bodies/ban_to_chuc_tinh_uy.html", "ask.html"]
)
def test_axe_finds_no_accessibility_violation(page: Page, site: str, path: str) -> None:
    page.goto(site + path)
    assert _violations(page) == []


def test_axe_check_fails_on_a_real_violation(page: Page, site: str) -> None:
    """The check can fail: the same page with an unlabelled field and an image without
    text is reported."""
    page.goto(site + "bodies/index.html")
    page.evaluate(
        """() => { const m = document.querySelector('main');
                   m.insertAdjacentHTML('beforeend', '<input type="text"><img src="data:,">'); }"""
    )
    ids = {v.split(" ")[0] for v in _violations(page)}
    assert {"label", "image-alt"} <= ids


def test_axe_finds_no_violation_in_an_answer_nor_in_english(
    page: Page, site: str, engine: Engine, book: Rulebook
) -> None:
    page.route("**/v1/notify", _answer_with_engine(engine, []))
    page.goto(site + "ask.html")
    fs = page.locator("fieldset[data-event='coordination_requested']")
    fs.get_by_label("Ngày xảy ra").fill("2025-03-03")
    for label, pid in (
        ("Cơ quan đề nghị", "dang_uy_khoi"),
        ("Cơ quan được", "ban_to_chuc_tinh_uy"),
    ):
        fs.get_by_label(label).first.select_option(pid)
    page.get_by_role("button", name="Hỏi").click()
    expect(page.locator("#obligations tbody tr").first).to_be_visible()
    assert _violations(page) == []
    page.locator("#lang-en").check()
    assert _violations(page) == []
