"""The program's own words: every message has a Vietnamese entry, Vietnamese is the default
of the CLI and the service, English is one option away, and dates read dd/mm/yyyy."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from typer.testing import CliRunner

import quyche_rules
from quyche_rules.cli.main import app
from quyche_rules.i18n import _, format_date, language, negotiate, set_language
from quyche_rules.i18n.catalog import messages

PACKAGE = Path(quyche_rules.__file__).resolve().parent
runner = CliRunner()
PLACEHOLDER = re.compile(r"\{[^}]*\}")


def _extracted() -> list[str]:
    found = extract_from_dir(
        str(PACKAGE),
        method_map=[("**.py", "python")],
        keywords={"_": None, "N_": None},
    )
    return sorted({str(m[2]) for m in found})


def test_every_message_has_a_vietnamese_entry_with_the_same_placeholders() -> None:
    ids = _extracted()
    assert len(ids) > 50
    vi, en = messages("vi"), messages("en")
    missing = [m for m in ids if not vi.get(m)]
    assert missing == [], f"no Vietnamese entry in vi/quyche.po for: {missing}"
    assert [m for m in ids if not en.get(m)] == []
    for m in ids:
        assert sorted(PLACEHOLDER.findall(vi[m])) == sorted(PLACEHOLDER.findall(m)), m


def test_a_message_without_an_entry_is_caught(tmp_path: Path) -> None:
    """The check above can fail: a new message not in the catalogue is reported."""
    (tmp_path / "m.py").write_text('_("a message nobody translated")\n', encoding="utf-8")
    found = {str(m[2]) for m in extract_from_dir(str(tmp_path), keywords={"_": None})}
    assert found == {"a message nobody translated"}
    assert "a message nobody translated" not in messages("vi")


def test_the_library_speaks_english_unless_told() -> None:
    before = language()
    try:
        set_language("en")
        assert _("Due") == "Due"
        set_language("vi")
        assert _("Due") == "Hạn"
        assert _("error: {message}", message="x") == "lỗi: x"
        assert set_language("xx") == "vi"
    finally:
        set_language(before)


@pytest.mark.parametrize(
    ("header", "lang"),
    [
        (None, "vi"),
        ("", "vi"),
        ("en", "en"),
        ("en-GB,en;q=0.9", "en"),
        ("vi-VN,vi;q=0.9,en;q=0.8", "vi"),
        ("fr-FR,en;q=0.5", "en"),
        ("fr, de", "vi"),
        ("en;q=0.2, vi;q=0.8", "vi"),
        ("en;q=0", "vi"),
        ("en;q=abc", "vi"),
    ],
)
def test_accept_language_is_negotiated(header: str | None, lang: str) -> None:
    assert negotiate(header) == lang


def test_dates_for_people_read_day_month_year() -> None:
    assert format_date(dt.date(2025, 2, 11)) == "11/02/2025"
    assert format_date(None) == ""


def test_duties_reads_in_vietnamese_by_default_and_english_on_request(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("QUYCHE_LANG", raising=False)
    vi = runner.invoke(app, ["duties", "ban_noi_chinh_tinh_uy"])
    assert vi.exit_code == 0, vi.output
    assert "Căn cứ" in vi.output and "Khi nào" in vi.output and "quy tắc" in vi.output
    assert "|" not in vi.output.replace("│", "").replace("┃", "")
    en = runner.invoke(app, ["--lang", "en", "duties", "ban_noi_chinh_tinh_uy"])
    assert en.exit_code == 0, en.output
    assert "Basis" in en.output and "When" in en.output and "Căn cứ" not in en.output
    monkeypatch.setenv("QUYCHE_LANG", "en")
    assert "Basis" in runner.invoke(app, ["duties", "ban_noi_chinh_tinh_uy"]).output
    assert language() == "en"  # the CLI gives the library its default back


def test_errors_are_framed_in_the_chosen_language(monkeypatch: pytest.MonkeyPatch) -> None:
    from quyche_rules.cli.main import main

    monkeypatch.delenv("QUYCHE_LANG", raising=False)
    for argv, prefix in (
        (["duties", "nobody_at_all"], "lỗi: party: không có cơ quan"),
        (["--lang", "en", "duties", "nobody_at_all"], "error: party: unknown party"),
    ):
        r = runner.invoke(app, argv)
        assert r.exit_code == 2 and r.output.startswith(prefix), r.output
    with pytest.raises(SystemExit):
        main(["--lang", "en", "no-such-command"])


def test_lang_must_be_vi_or_en() -> None:
    r = runner.invoke(app, ["--lang", "fr", "duties", "dang_uy_khoi"])
    assert r.exit_code == 2


def test_rules_show_reads_in_vietnamese_with_when_as_a_sentence(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("QUYCHE_LANG", raising=False)
    r = runner.invoke(app, ["rules", "show", "art3.1.respond"])
    assert r.exit_code == 0, r.output
    assert (
        "Khi một cơ quan gửi văn bản đề nghị phối hợp, với điều kiện: văn bản đề nghị là"
        in r.output
    )
    assert "quá hạn không trả lời được xem là đồng ý" in r.output
    assert "Tóm tắt" in r.output and "Ghi chú pháp lý" in r.output
