"""The pages in a real browser: Debian's Chromium, driven by Playwright, against the LIVE
service (issue 11's app with the pages of issue 12, run by uvicorn on 127.0.0.1).

One app is started per run (``tests/browser.py``, shared by every browser test) on a free
port, on its own SQLite file, with keys made by the service's own store API; the Ask form
posts to the real ``POST /v1/notify`` and the decision it logs is read back with ``GET
/v1/decisions/{id}``. The static site written by ``quyche render --html`` gets a smoke
test of its own (relative links, no console error).

Every expectation is computed from the rulebook, the registry, ``Engine.duties_of``, the
working calendar and the example files — never from a list written here. Screenshots of
the views go to ``artifacts/screenshots/`` (kept by CI as artefacts, ignored by git).

The morning view reads the live ``GET /v1/track/status`` and ``GET /v1/track/ics``; the
README's morning case (``examples/tracker/``) is recorded through the live ``POST
/v1/track``, each event with the key of the body that sends it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, Request, expect

from quyche_rules.engine.engine import Engine
from quyche_rules.model.event_checks import events_json_schema
from quyche_rules.model.events import EVENT_TYPES
from quyche_rules.pages import anchor
from quyche_rules.rulebook.loader import Rule, Rulebook

from .browser import REQUESTED, REQUESTER, Live, example

ROOT = Path(__file__).resolve().parents[1]
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
BODY = "ban_to_chuc_tinh_uy"


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


def _day(value: Any) -> dt.date:
    return dt.date.fromisoformat(str(value))


# --- every page loads ------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["", "bodies/", f"bodies/{BODY}", "ask", "morning"])
def test_served_pages_load_without_console_errors(
    page: Page, problems: list[str], live: Live, path: str
) -> None:
    page.goto(live.url + path)
    page.wait_for_load_state("networkidle")
    assert problems == []
    expect(page.locator("main h1")).to_be_visible()


def test_the_static_site_loads_from_its_own_files(
    page: Page, problems: list[str], site: str, book: Rulebook
) -> None:
    """``quyche render --html``: relative links, no server but a file server."""
    page.goto(site + "index.html")
    expect(page.locator("#dieu-3-1")).to_be_attached()
    page.get_by_role("link", name="Nghĩa vụ theo cơ quan").first.click()
    page.get_by_role("link", name=book.parties.parties[BODY].name_vi).click()
    expect(page).to_have_url(f"{site}bodies/{BODY}.html")
    page.wait_for_load_state("networkidle")
    assert problems == []


def test_an_unknown_body_is_404(live: Live) -> None:
    assert httpx.get(live.url + "bodies/no_such_body").status_code == 404


# --- the literate view -----------------------------------------------------------------------


def test_every_clause_of_articles_2_to_17_appears_with_its_rules(
    page: Page, live: Live, book: Rulebook
) -> None:
    page.goto(live.url)
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


def test_a_clause_anchor_scrolls_to_the_clause(page: Page, live: Live) -> None:
    page.goto(live.url + "#dieu-3-1")
    target = page.locator("#dieu-3-1")
    expect(target).to_be_in_viewport()
    expect(target.locator("h3")).to_contain_text("Điều 3.1")
    _shot(page, "literate")


def test_english_toggle_with_and_without_javascript(browser: Browser, live: Live) -> None:
    for js in (True, False):
        ctx = browser.new_context(java_script_enabled=js, locale="vi-VN")
        pg = ctx.new_page()
        pg.goto(live.url + f"bodies/{BODY}")
        vi = pg.locator(".rule .rule-sentence > .vi").first
        en = pg.locator(".rule .rule-sentence > .en").first
        expect(vi).to_be_visible()
        expect(en).to_be_hidden()
        pg.locator("#lang-en").check()
        expect(en).to_be_visible()
        expect(vi).to_be_hidden()
        if js:  # the script remembers the choice and tells assistive technology
            assert pg.evaluate("document.documentElement.lang") == "en"
            pg.goto(live.url + "bodies/")
            expect(pg.locator("#lang-en")).to_be_checked()
            expect(pg.locator("h1 .en")).to_be_visible()
        ctx.close()


def test_keyboard_skip_link_and_language_switch(page: Page, live: Live) -> None:
    page.goto(live.url + "bodies/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    expect(page.locator(".skip")).to_be_in_viewport()
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#main"
    for _ in range(12):  # on to the switch through the header, never stuck
        page.keyboard.press("Shift+Tab")
        if page.evaluate("document.activeElement.id") == "lang-en":
            break
    else:
        pytest.fail("the language switch cannot be reached with the keyboard")
    page.keyboard.press("Space")
    expect(page.locator("#lang-en")).to_be_checked()
    expect(page.locator("main h1 .en")).to_be_visible()


# --- a body's duties -------------------------------------------------------------------------


def test_bodies_index_lists_every_party(page: Page, live: Live, engine: Engine) -> None:
    page.goto(live.url + "bodies/")
    listed = page.eval_on_selector_all("li[data-party]", "els => els.map(e => e.dataset.party)")
    assert sorted(listed) == sorted(p.id for p in engine.parties)
    page.get_by_role("link", name=engine.parties.parties[BODY].name_vi).click()
    expect(page).to_have_url(f"{live.url}bodies/{BODY}")


def test_each_body_page_lists_exactly_what_duties_of_lists(
    page: Page, live: Live, engine: Engine, book: Rulebook
) -> None:
    anchors = {anchor(b) for b in book.regulation.units}
    for party in engine.parties:
        page.goto(f"{live.url}bodies/{party.id}")
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
            assert href.startswith(live.url + "#") and href.split("#")[1] in anchors, href
    page.goto(f"{live.url}bodies/{BODY}")
    _shot(page, "body")


def test_a_duty_links_to_its_clause(page: Page, live: Live) -> None:
    page.goto(f"{live.url}bodies/{BODY}")
    link = page.locator("[data-group='event'] .rule .basis").first
    label = link.inner_text()
    link.click()
    frag = page.evaluate("location.hash").lstrip("#")
    expect(page.locator(f"#{frag} h3")).to_contain_text(label)
    expect(page.locator(f"#{frag}")).to_be_in_viewport()


# --- Ask, against the live POST /v1/notify ---------------------------------------------------


def test_the_ask_form_has_a_labelled_control_for_every_schema_field(page: Page, live: Live) -> None:
    page.goto(live.url + "ask")
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


def _posts(page: Page) -> list[Request]:
    seen: list[Request] = []
    page.on("request", lambda r: seen.append(r) if r.url.endswith("/v1/notify") else None)
    return seen


def _fill_request(page: Page, engine: Engine, received: dt.date, key: str) -> None:
    fs = page.locator("fieldset[data-event='coordination_requested']")
    fs.get_by_label("Ngày xảy ra").fill((received - dt.timedelta(days=1)).isoformat())
    fs.get_by_label("Cơ quan đề nghị phối hợp").select_option(
        label=engine.parties.parties[REQUESTER].name_vi
    )
    fs.get_by_label("Cơ quan được đề nghị phối hợp").select_option(
        label=engine.parties.parties[REQUESTED].name_vi
    )
    fs.get_by_label("Ngày nhận văn bản").fill(received.isoformat())
    page.locator("#api-key").fill(key)
    page.get_by_role("button", name="Hỏi").click()


def test_ask_a_request_received_before_tet_gives_art_3_1_with_its_due_date_and_receipt(
    page: Page, live: Live, engine: Engine
) -> None:
    posts = _posts(page)
    page.goto(live.url + "ask")
    received = dt.date(2025, 1, 23)  # the Thursday before the Tết break of 2025
    _fill_request(page, engine, received, live.keys[REQUESTER])
    rows = page.locator("#obligations tbody tr")
    expect(rows.first).to_be_visible()
    assert len(posts) == 1
    assert posts[0].headers["authorization"] == f"Bearer {live.keys[REQUESTER]}"
    event = posts[0].post_data_json
    assert event == {
        "type": "coordination_requested",
        "date": "2025-01-22",
        "requester": REQUESTER,
        "requested": REQUESTED,
        "received_on": "2025-01-23",
        "topic": "general",
        "asks_for": "opinion",  # the form sends the default of what the request asks for
    }
    due = engine.calendar.deadline(received, 7).due
    assert due > dt.date(2025, 2, 2)  # the seven working days run past the holiday
    art31 = rows.filter(has_text="Điều 3.1").filter(
        has_text=engine.parties.parties[REQUESTED].name_vi
    )
    expect(art31.first).to_contain_text(due.strftime("%d/%m/%Y"))  # dates for people
    expect(art31.first).to_contain_text("không trả lời được xem là đồng ý")
    expect(art31.first.locator("a")).to_have_attribute("href", "/#dieu-3-1")
    obligations = engine.who_must_be_notified(event)
    assert rows.count() == len(obligations)
    # the receipt: its decision id is shown, and the decision log has it
    decision = page.locator("#decision-id")
    expect(decision).to_be_visible()
    did = decision.inner_text().strip()
    logged = live.get(f"v1/decisions/{did}", live.keys[REQUESTER])
    assert logged.status_code == 200, logged.text
    body = logged.json()
    assert body["receipt"]["decision_id"] == did and body["kind"] == "notify"
    assert [o["rule_id"] for o in body["result"]] == [o.rule_id for o in obligations]
    page.locator("#receipt-box summary").click()
    expect(page.locator("#receipt")).to_contain_text(body["receipt"]["input_sha256"])
    _shot(page, "ask", full_page=True)


def test_ask_shows_the_services_errors_as_an_alert(page: Page, live: Live) -> None:
    page.goto(live.url + "ask")
    fs = page.locator("fieldset[data-event='coordination_requested']")
    fs.get_by_label("Ngày xảy ra").fill("2025-01-22")
    page.get_by_role("button", name="Hỏi").click()  # no key
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("401")
    page.locator("#api-key").fill(live.keys[REQUESTER])
    page.get_by_role("button", name="Hỏi").click()  # a key, but no requester
    expect(alert).to_contain_text("422")
    expect(alert).to_contain_text("requester")
    expect(page.locator("#obligations")).to_be_hidden()


def test_the_ask_form_works_from_the_keyboard(page: Page, live: Live) -> None:
    """Tab walks the visible controls in order (hidden fieldsets are skipped), the key is
    typed, and Enter on the button sends the question."""
    posts = _posts(page)
    page.goto(live.url + "ask")
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
        if focused == "api-key":
            page.keyboard.type(live.keys[REQUESTER])
        if not seen or seen[-1] != focused:
            seen.append(focused)
    assert seen == [*visible, "api-key"]
    page.keyboard.press("Enter")
    expect(page.get_by_role("alert")).to_contain_text("422")  # no requester chosen
    assert posts and posts[0].post_data_json["type"] == "coordination_requested"


# --- the morning view, against the live GET /v1/track/status ---------------------------------


def _morning(page: Page, live: Live, key: str, as_of: dt.date) -> None:
    page.locator("#m-key").fill(key)
    page.locator("#m-as-of").fill(as_of.isoformat())
    page.locator("#morning button[type=submit]").click()  # "Xem", or "Show" in English
    expect(page.locator("#report-status")).to_contain_text(as_of.strftime("%d/%m/%Y"))


def test_the_morning_view_follows_the_readme_case_to_consent(
    page: Page, live: Live, engine: Engine
) -> None:
    """The README's morning report: awaiting on 07/02, extended on 12/02, consent from the
    day after the new due date — dates from the calendar and the example files."""
    request, extension = example("01-request-before-tet.yaml"), example("02-extension.yaml")
    first_due = engine.calendar.deadline(_day(request["received_on"]), 7).due
    new_due = _day(extension["reply_by"])
    asked = _day(extension["date"])
    assert first_due < new_due
    name = engine.parties.parties[REQUESTED].name_vi
    owes = page.locator("[data-group='owes'] tbody tr")
    consent = page.locator("[data-group='consent'] tbody tr")

    page.goto(live.url + "morning")
    _morning(page, live, live.keys[REQUESTED], asked - dt.timedelta(days=3))
    expect(page.locator("#report-status")).to_contain_text(name)
    expect(owes).to_have_count(1)
    expect(owes.first).to_have_attribute("data-state", "awaiting")
    expect(owes.first.locator(".due")).to_contain_text(first_due.strftime("%d/%m/%Y"))
    expect(owes.first).to_contain_text(str(request["reference"]))
    expect(owes.first.get_by_role("link", name="Điều 3.1")).to_have_attribute("href", "/#dieu-3-1")
    expect(consent).to_have_count(0)

    _morning(page, live, live.keys[REQUESTED], first_due + dt.timedelta(days=1))
    expect(owes.first).to_have_attribute("data-state", "extended")
    expect(owes.first.locator(".due")).to_contain_text(new_due.strftime("%d/%m/%Y"))
    expect(owes.first.locator(".due")).to_contain_text(first_due.strftime("%d/%m/%Y"))
    _shot(page, "morning", full_page=True)

    after = new_due + dt.timedelta(days=1)
    _morning(page, live, live.keys[REQUESTED], after)
    expect(owes).to_have_count(0)
    expect(consent).to_have_count(1)
    expect(consent.first).to_have_attribute("data-state", "consent")
    expect(consent.first.locator(".state")).to_contain_text(after.strftime("%d/%m/%Y"))
    # the requester sees the same case, as owed to it, from its own key
    _morning(page, live, live.keys[REQUESTER], new_due)
    expect(page.locator("[data-group='owed_to'] tbody tr")).to_have_count(1)
    expect(owes).to_have_count(0)


def test_the_morning_views_calendar_link_downloads_the_feed(
    page: Page, live: Live, engine: Engine
) -> None:
    page.goto(live.url + "morning")
    page.locator("#m-party").select_option(REQUESTER)
    _morning(page, live, live.admin, dt.date(2025, 2, 12))
    link = page.locator("#ics-link")
    expect(link).to_be_visible()
    with page.expect_download() as dl:
        link.click()
    feed = Path(dl.value.path()).read_text(encoding="utf-8")
    case = page.locator("[data-group='owed_to'] tbody tr").first.get_attribute("data-case")
    assert feed.startswith("BEGIN:VCALENDAR") and f"UID:{case}@quyche-rules" in feed


def test_the_morning_view_without_a_good_key_says_so(page: Page, live: Live) -> None:
    page.goto(live.url + "morning")
    page.get_by_role("button", name="Xem").click()
    expect(page.get_by_role("alert")).to_contain_text("API")
    _morning_bad = "qk_0badc0de_" + "x" * 43
    page.locator("#m-key").fill(_morning_bad)
    page.get_by_role("button", name="Xem").click()
    expect(page.get_by_role("alert")).to_contain_text("401")
    expect(page.locator("[data-group='owes']")).to_be_hidden()
    # a body's key reads its own status only: another body's is not found
    page.locator("#m-key").fill(live.keys[REQUESTER])
    page.locator("#m-party").select_option(REQUESTED)
    page.get_by_role("button", name="Xem").click()
    expect(page.get_by_role("alert")).to_contain_text("404")
    expect(page.locator("[data-group='owes']")).to_be_hidden()


def test_the_morning_view_works_from_the_keyboard(page: Page, live: Live) -> None:
    page.goto(live.url + "morning")
    page.locator("#m-key").focus()
    page.keyboard.type(live.keys[REQUESTED])
    order = []
    for _ in range(8):
        page.keyboard.press("Tab")
        focused = page.evaluate("document.activeElement.id || document.activeElement.tagName")
        if not order or order[-1] != focused:
            order.append(focused)
        if focused == "BUTTON":
            break
    assert order == ["m-party", "m-as-of", "BUTTON"]
    page.keyboard.press("Enter")
    expect(page.locator("[data-group='owes']")).to_be_visible()


# --- accessibility ---------------------------------------------------------------------------


def _violations(page: Page) -> list[str]:
    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {len(v['nodes'])} node(s), e.g. {v['nodes'][0]['target']}"
        for v in results.response["violations"]
    ]


@pytest.mark.parametrize("path", ["", "bodies/", f"bodies/{BODY}", "ask", "morning"])
def test_axe_finds_no_accessibility_violation(page: Page, live: Live, path: str) -> None:
    page.goto(live.url + path)
    assert _violations(page) == []


def test_axe_check_fails_on_a_real_violation(page: Page, live: Live) -> None:
    """The check can fail: the same page with an unlabelled field and an image without
    text is reported."""
    page.goto(live.url + "bodies/")
    page.evaluate(
        """() => { const m = document.querySelector('main');
                   m.insertAdjacentHTML('beforeend', '<input type="text"><img src="data:,">'); }"""
    )
    ids = {v.split(" ")[0] for v in _violations(page)}
    assert {"label", "image-alt"} <= ids


def test_axe_finds_no_violation_in_answers_nor_in_english(
    page: Page, live: Live, engine: Engine
) -> None:
    page.goto(live.url + "ask")
    _fill_request(page, engine, dt.date(2025, 3, 3), live.keys[REQUESTER])
    expect(page.locator("#obligations tbody tr").first).to_be_visible()
    assert _violations(page) == []
    page.locator("#lang-en").check()
    assert _violations(page) == []
    page.goto(live.url + "morning")
    _morning(page, live, live.keys[REQUESTED], dt.date(2025, 2, 12))
    expect(page.locator("[data-group='owes'] tbody tr")).to_have_count(1)
    assert _violations(page) == []


def test_the_morning_view_records_an_extension_and_an_answer(page: Page, live: Live) -> None:
    """A clerk's workplace: with the requested body's key, record an extension with its new
    reply date, then the answer, through POST /v1/track, and see the case move; the
    requester's key may not answer in the requested body's name (the same checks as for
    systems). The key stays in the tab (sessionStorage), never in the URL."""
    ref = "77-CV/ĐUK"
    event = {
        "type": "coordination_requested",
        "date": "2026-03-02",
        "reference": ref,
        "requester": REQUESTER,
        "requested": REQUESTED,
        "received_on": "2026-03-02",
        "summary": "Đề nghị góp ý dự thảo quy chế làm việc",
    }
    res = httpx.post(live.url + "v1/track", json=event, headers=live.auth(REQUESTER))
    assert res.status_code == 200, res.text
    row = page.locator("[data-group='owes'] tbody tr").filter(has_text=ref)

    page.goto(live.url + "morning")
    _morning(page, live, live.keys[REQUESTED], dt.date(2026, 3, 4))
    expect(row).to_have_attribute("data-state", "awaiting")
    # the document by its number and subject; the case id (a hash) below them
    expect(row.locator("td.doc .ref")).to_have_text(ref)
    expect(row.locator("td.doc .subject")).to_have_text(event["summary"])
    expect(row.locator("td.doc .case-id")).to_contain_text(row.get_attribute("data-case") or "?")
    assert "qk_" not in page.url
    form = row.locator("form.act")
    form.get_by_label("Việc").select_option("extension")
    form.locator("input[name=date]").fill("2026-03-04")
    form.get_by_label("Ngày trả lời mới").fill("2026-03-31")
    form.get_by_role("button", name="Ghi", exact=True).click()
    expect(page.locator("#report-status")).to_contain_text("Đã ghi #")
    expect(row).to_have_attribute("data-state", "extended")
    expect(row.locator(".due")).to_contain_text("31/03/2026")
    _shot(page, "morning-workplace", full_page=True)

    # another visit in the same tab: the key is still there
    page.goto(live.url + "morning")
    expect(page.locator("#m-key")).to_have_value(live.keys[REQUESTED])
    page.locator("#m-as-of").fill("2026-03-05")
    page.locator("#morning button[type=submit]").click()
    form = row.locator("form.act")
    form.get_by_label("Việc").select_option("answer")
    form.locator("input[name=date]").fill("2026-03-05")
    form.get_by_role("button", name="Ghi", exact=True).click()
    expect(page.locator("#report-status")).to_contain_text("Đã ghi #")
    expect(row).to_have_count(0)  # answered on time: no longer owed

    # the requester's key sees its own pending case but may not answer for another body
    other = {**event, "reference": "78-CV/ĐUK"}
    assert httpx.post(live.url + "v1/track", json=other, headers=live.auth(REQUESTER)).is_success
    page.locator("#m-forget").click()
    expect(page.locator("#m-key")).to_have_value("")
    _morning(page, live, live.keys[REQUESTER], dt.date(2026, 3, 5))
    owed = page.locator("[data-group='owed_to'] tbody tr").filter(has_text="78-CV/ĐUK")
    owed.locator("form.act").get_by_label("Việc").select_option("answer")
    owed.locator("form.act").get_by_role("button", name="Ghi", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("403")
