"""Vietnamese first: every rule and every non-actionable unit reads in Vietnamese, and the
loader refuses a rule file that leaves one out (naming the file, the rule and the field)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from quyche_rules.errors import RulebookError
from quyche_rules.rulebook.loader import Rulebook, load_rulebook

ART3 = "articles/dieu-03.yaml"
ART1 = "articles/dieu-01.yaml"
VI = re.compile("[ăâđêôơưàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ]")


def _edit(rules: Path, rel: str, old: str, new: str) -> None:
    p = rules / rel
    text = p.read_text(encoding="utf-8")
    assert old in text, old
    p.write_text(text.replace(old, new, 1), encoding="utf-8")


def _error(rules: Path) -> RulebookError:
    with pytest.raises(RulebookError) as info:
        load_rulebook(rules)
    return info.value


def test_every_rule_has_a_vietnamese_summary_and_note(book: Rulebook) -> None:
    assert len(book.rules) >= 140
    for rule in book:
        assert VI.search(rule.summary_vi), rule.id
        assert (rule.note is None) == (rule.note_vi is None), rule.id
        if rule.note_vi is not None:
            assert VI.search(rule.note_vi), rule.id


def test_every_non_actionable_unit_has_a_vietnamese_reason(book: Rulebook) -> None:
    assert book.non_actionable
    for basis, na in book.non_actionable.items():
        assert VI.search(na.reason_vi), str(basis)


@pytest.mark.parametrize(
    ("old", "new", "rule_id", "field", "words"),
    [
        (
            "    summary_vi: >-\n      Cơ quan cần phối hợp chủ động",
            "    summary_xx: >-\n      Cơ quan cần phối hợp chủ động",
            "art3.1.send-request",
            "rules.0.summary_vi",
            "required",
        ),
        (
            "      Cơ quan cần phối hợp chủ động gửi văn bản đề nghị, kèm theo các tài liệu"
            " cần thiết\n      (nếu có), cho cơ quan được đề nghị.",
            "      The body that needs coordination sends a written request.",
            "art3.1.send-request",
            "summary_vi",
            "not Vietnamese",
        ),
        (
            '    note_vi: >-\n      "quá thời hạn theo văn bản đề nghị" (lựa chọn cách hiểu)',
            '    note_xx: >-\n      "quá thời hạn theo văn bản đề nghị" (lựa chọn cách hiểu)',
            "art3.1.respond",
            "rules.1.note_xx",
            "Extra inputs",
        ),
    ],
)
def test_a_rule_without_its_vietnamese_is_refused(
    rules_copy: Path, old: str, new: str, rule_id: str, field: str, words: str
) -> None:
    _edit(rules_copy, ART3, old, new)
    err = _error(rules_copy)
    assert (err.file, err.rule_id, err.field) == ("dieu-03.yaml", rule_id, field)
    assert words in str(err)


def test_a_note_without_note_vi_is_refused(rules_copy: Path) -> None:
    p = rules_copy / ART3
    lines = p.read_text(encoding="utf-8").split("\n")
    start = lines.index("    note_vi: >-")
    end = start + 1
    while lines[end].startswith("      "):
        end += 1
    p.write_text("\n".join(lines[:start] + lines[end:]), encoding="utf-8")
    err = _error(rules_copy)
    assert (err.rule_id, err.field) == ("art3.1.send-request", "note_vi")


def test_a_non_actionable_unit_without_reason_vi_is_refused(rules_copy: Path) -> None:
    _edit(rules_copy, ART1, "    reason_vi: >-", "    reason_xx: >-")
    err = _error(rules_copy)
    assert err.file == "dieu-01.yaml" and err.field is not None
    assert "reason_vi" in err.field
