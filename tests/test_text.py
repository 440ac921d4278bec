"""The rulebook held against the regulation's own text (parsed, not a hand-made list)."""

from __future__ import annotations

import unicodedata

from quyche_rules.io.textnorm import fold, normalize
from quyche_rules.model.basis import Basis
from quyche_rules.model.parties import default_registry
from quyche_rules.rulebook.loader import Rulebook
from quyche_rules.rulebook.text import load_regulation

SOURCE = "rules/source/quy-che-phoi-hop.md"


def test_source_is_the_shared_regulation_byte_for_byte(tmp_path: object) -> None:
    from pathlib import Path

    shared = Path(__file__).resolve().parents[2] / "shared" / "regulation" / "quy-che-phoi-hop.md"
    ours = Path(__file__).resolve().parents[1] / SOURCE
    if shared.exists():  # CI lays shared/ beside the clone
        assert ours.read_bytes() == shared.read_bytes()
    assert unicodedata.is_normalized("NFC", ours.read_text(encoding="utf-8"))


def test_parser_finds_every_article_and_joins_page_breaks() -> None:
    reg = load_regulation()
    assert sorted(reg.titles) == list(range(1, 19))
    assert reg.units[Basis(13, 4)].text.endswith("thông báo với nhau kết quả giải quyết.")
    assert "Ban Dân vận Tỉnh ủy, Ban Nội chính Tỉnh ủy" in reg.units[Basis(1, 1)].text
    assert "về nhiệm vụ quốc phòng - quân sự địa phương" in reg.units[Basis(16, 1)].text
    assert [b.point for b in reg.units if b.article == 4 and b.clause == 1] == [None, "a", "b", "c"]
    assert Basis(18) in reg.units and "Nơi nhận" not in reg.units[Basis(18)].text


def test_every_quote_is_verbatim_inside_its_basis(book: Rulebook) -> None:
    raw = normalize(book.regulation.raw)
    for rule in book:
        assert rule.quote in raw, rule.id
        assert rule.quote in book.regulation.units[rule.basis].text, rule.id


def test_every_unit_of_articles_1_to_18_is_accounted_for(book: Rulebook) -> None:
    missing = [
        str(b)
        for b in book.regulation.units
        if not book.rules_for(b) and b not in book.non_actionable
    ]
    assert missing == []
    for na in book.non_actionable.values():
        assert len(na.reason) > 20, na.basis


def test_articles_2_to_17_each_have_a_rule_file(book: Rulebook) -> None:
    articles = {r.basis.article for r in book}
    assert set(range(2, 18)) <= articles


def test_every_body_named_in_article_1_1_resolves() -> None:
    reg = default_registry()
    names = [
        "Đảng ủy Khối các cơ quan tỉnh",
        "Ban Tổ chức Tỉnh ủy",
        "Ban Tuyên giáo Tỉnh ủy",
        "Ban Dân vận Tỉnh ủy",
        "Ban Nội chính Tỉnh ủy",
        "Cơ quan Ủy ban Kiểm tra Tỉnh ủy",
        "Văn phòng Tỉnh ủy",
        "Đảng ủy Công an tỉnh",
        "Đảng ủy Quân sự tỉnh",
        "huyện ủy, thị ủy, thành ủy",
    ]
    text = load_regulation().units[Basis(1, 1)].text
    for name in names:
        assert name in text or fold(name) in fold(text)
        assert reg.resolve(name).name_vi
        assert reg.resolve(fold(name)) == reg.resolve(name)  # without diacritics


def test_party_names_are_spelled_as_in_the_text() -> None:
    text = normalize(load_regulation().raw)
    for p in default_registry():
        # the text writes only "UBKT" for the Military Committee's commission (Art. 16.2)
        if p.kind.value == "body" and p.id != "ubkt_dang_uy_quan_su_tinh":
            assert p.name_vi in text, p.id


def test_lookup_is_diacritic_and_case_insensitive() -> None:
    reg = default_registry()
    assert reg.resolve("ban to chuc tinh uy").id == "ban_to_chuc_tinh_uy"
    assert reg.resolve("BAN NỘI CHÍNH TỈNH ỦY").id == "ban_noi_chinh_tinh_uy"
    assert reg.resolve(unicodedata.normalize("NFD", "Đảng ủy Khối")).id == "dang_uy_khoi"


def test_every_party_id_used_by_a_rule_exists(book: Rulebook) -> None:
    for rule in book:
        for ref in (rule.obligated, *rule.counterparties):
            assert ref.startswith("@") or ref in book.parties, (rule.id, ref)


def test_every_unit_has_its_own_ascii_anchor(book: Rulebook) -> None:
    """Pages and the HTTP clause look-up link by ``Basis.anchor``: point ``đ`` must not
    collide with point ``d``, and every unit of the text has an anchor of its own."""
    assert Basis(4, 1, "đ").anchor == "dieu-4-1-dd" != Basis(4, 1, "d").anchor
    anchors = [b.anchor for b in book.regulation.units]
    assert len(set(anchors)) == len(anchors)
    assert all(a.isascii() for a in anchors)
