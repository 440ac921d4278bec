"""The pages without a browser: phrases complete, anchors stable, HTML escaped, CLI writes files.

The browser tests (test_pages_browser.py) check what a reader sees; these check the data and
the files, and run in well under a second.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import pytest
from typer.testing import CliRunner

from quyche_rules.cli.main import app
from quyche_rules.engine.engine import Engine
from quyche_rules.errors import RulebookError
from quyche_rules.model.basis import Basis
from quyche_rules.model.event_checks import condition_fields
from quyche_rules.model.events import EVENT_TYPES
from quyche_rules.pages import SERVED, Pages, anchor, write_site
from quyche_rules.pages.phrases import PHRASES_FILE, Phrase, load_phrasebook
from quyche_rules.pages.views import trigger_kinds
from quyche_rules.rulebook.loader import Rulebook, load_rulebook

runner = CliRunner()


@pytest.fixture(scope="module")
def engine(book: Rulebook) -> Engine:
    return Engine(book, backend="python")


def test_every_event_field_and_value_has_plain_words_in_both_languages() -> None:
    """A new event type, field or value cannot reach the pages unexplained."""
    ph = load_phrasebook()
    missing: list[str] = []

    def check(what: str, get: object) -> None:
        try:
            p = get() if callable(get) else get
            assert isinstance(p, Phrase) and p.vi.strip() and p.en.strip()
        except (RulebookError, AssertionError):
            missing.append(what)

    for etype, model in EVENT_TYPES.items():
        check(f"events.{etype}", lambda e=etype: ph.event(e))
        for name in model.model_fields:
            check(f"fields.{name}", lambda n=name: ph.field(n))
        for name, info in condition_fields(etype).items():
            if info.kind == "bool":
                for v in (True, False):
                    check(f"booleans.{name}.{v}", lambda n=name, v=v: ph.boolean(n, v))
            if info.enum is not None:
                enum: type[StrEnum] = info.enum
                for member in enum:
                    check(
                        f"values.{enum.__name__}.{member.value}",
                        lambda e=enum, m=member.value: ph.enum_value(e, m),
                    )
    assert not missing, f"phrases.yaml lacks: {sorted(set(missing))}"


def test_every_trigger_reads_as_words_not_as_identifiers(book: Rulebook) -> None:
    ph = load_phrasebook()
    ids = set(EVENT_TYPES) | {p.id for p in book.parties if "_" in p.id}
    for rule in book:
        for trig in rule.event_triggers:
            p = ph.trigger(trig, book.parties)
            for text in (p.vi, p.en):
                leaked = [i for i in ids if i in text]
                assert not leaked, f"{rule.id}: {text!r} shows {leaked}"


def test_conditions_read_with_their_values(book: Rulebook) -> None:
    """A condition names the value the rule tests, in each language (Art. 5.2.a tests the
    stage of a personnel action)."""
    ph = load_phrasebook()
    checked = 0
    for rule in book:
        for trig in rule.event_triggers:
            if trig.event_type != "personnel_action" or trig.condition is None:
                continue
            p = ph.trigger(trig, book.parties)
            assert p.vi.startswith(ph.event("personnel_action").vi)
            assert ph.field("stage").vi in p.vi or ph.field("action").vi in p.vi
            checked += 1
    assert checked


def test_anchors_are_stable_unique_and_ascii(book: Rulebook) -> None:
    assert anchor(Basis(5, 2, "a")) == "dieu-5-2-a"
    assert anchor(Basis(3, 1)) == "dieu-3-1"
    assert anchor(Basis(18)) == "dieu-18"
    assert anchor(Basis(4, 1, "đ")) == "dieu-4-1-dd"
    anchors = [anchor(b) for b in book.regulation.units]
    assert len(anchors) == len(set(anchors))
    assert all(a.isascii() for a in anchors)


def test_every_rule_falls_in_at_least_one_group_of_a_body_page(book: Rulebook) -> None:
    for rule in book:
        assert trigger_kinds(rule), rule.id


def test_text_from_the_data_is_escaped(tmp_path: Path, engine: Engine) -> None:
    """Phrases, notes and names are data: markup in them must reach the page as text."""
    bad = tmp_path / "phrases.yaml"
    bad.write_text(
        PHRASES_FILE.read_text(encoding="utf-8").replace(
            "vi: Khi một cơ quan gửi văn bản đề nghị phối hợp",
            'vi: "<script>alert(1)</script>"',
        ),
        encoding="utf-8",
    )
    html = Pages(engine, phrases=load_phrasebook(bad)).literate()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_a_malformed_phrases_file_is_one_error_naming_file_and_field(tmp_path: Path) -> None:
    bad = tmp_path / "phrases.yaml"
    bad.write_text(
        PHRASES_FILE.read_text(encoding="utf-8").replace("  date: {vi:", "  date: {fr: x, vi:", 1),
        encoding="utf-8",
    )
    with pytest.raises(RulebookError) as exc:
        load_phrasebook(bad)
    assert "phrases.yaml" in str(exc.value) and "fields.date.fr" in str(exc.value)


def test_write_site_writes_index_bodies_and_static_files(tmp_path: Path, engine: Engine) -> None:
    files = write_site(engine, tmp_path)
    names = {p.relative_to(tmp_path).as_posix() for p in files}
    assert {"index.html", "bodies/index.html", "static/pages.css", "static/pages.js"} <= names
    for p in engine.rulebook.parties:
        assert f"bodies/{p.id}.html" in names
    body = (tmp_path / "bodies" / "ban_to_chuc_tinh_uy.html").read_text(encoding="utf-8")
    assert 'href="../static/pages.css"' in body and 'href="../index.html#dieu-' in body


def test_cli_render_html_writes_the_site(tmp_path: Path) -> None:
    out = tmp_path / "site"
    r = runner.invoke(app, ["render", "--html", str(out)])
    assert r.exit_code == 0, r.output
    assert (out / "index.html").is_file() and (out / "bodies" / "index.html").is_file()
    assert "index.html" in r.output


@pytest.mark.parametrize("args", [["render"], ["render", "--html", "{file}"]])
def test_cli_render_bad_target_exits_2_with_one_line(tmp_path: Path, args: list[str]) -> None:
    f = tmp_path / "a-file"
    f.write_text("x")
    r = runner.invoke(app, [a.format(file=f) for a in args])
    assert r.exit_code == 2
    lines = [ln for ln in r.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: --html:"), r.output


def test_a_unit_nobody_encoded_is_shown_as_not_encoded(rules_copy: Path) -> None:
    """Coverage colour comes from the data: drop Art. 2.1's reason and it turns red."""
    f = rules_copy / "articles" / "dieu-02.yaml"
    text = f.read_text(encoding="utf-8")
    f.write_text(text[: text.index("non_actionable:")] + "non_actionable: []\n", encoding="utf-8")
    book = load_rulebook(rules_copy, require_complete=False)  # as `rules coverage` does
    html = Pages(Engine(book, backend="python")).literate()
    assert 'id="dieu-2-1" data-basis="Điều 2.1" data-status="missing"' in html
    assert 'id="dieu-2-2" data-basis="Điều 2.2" data-status="covered"' in html


def test_served_links_are_absolute_for_the_http_service(engine: Engine) -> None:
    """The service renders the same pages with ``links=SERVED``: literate view at ``/``."""
    assert SERVED.to_literate(Basis(5, 2, "a")) == "/#dieu-5-2-a"
    assert SERVED.to_bodies() == "/bodies/"
    assert SERVED.to_body("dang_uy_khoi") == "/bodies/dang_uy_khoi"
    assert SERVED.to_static("pages.css") == "/static/pages.css"
    html = Pages(engine, links=SERVED).body("Ban Tổ chức Tỉnh ủy")
    assert 'href="/#dieu-5-2-a"' in html and 'src="/static/pages.js"' in html
    with pytest.raises(KeyError):
        Pages(engine, links=SERVED).body("no such body")


def test_a_body_page_says_how_the_engine_binds_it(engine: Engine) -> None:
    """The words come from ``duties_of``: the agencies' leadership bears 13.8 *acting for*
    the agencies (not as a member of them), and Ban Tổ chức bears 5.2.a as named."""
    html = Pages(engine).body("lanh_dao_co_quan_thuoc_khoi")
    acting = html.split("art13.8.invite-thuong-truc-dang-uy-khoi", 1)[1].split("</li>", 1)[0]
    assert "thay mặt" in acting and "là thành viên của" not in acting
    entry = next(
        e
        for e in engine.duties_of("lanh_dao_co_quan_thuoc_khoi")
        if e.rule.id == "art13.8.invite-thuong-truc-dang-uy-khoi"
    )
    assert entry.via == (("acts for", "co_quan_thuoc_khoi"),)
    assert entry.binds_as == "acts for co_quan_thuoc_khoi"
