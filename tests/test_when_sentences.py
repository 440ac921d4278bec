""" "Khi nào" as sentences, and what a clerk acts on: every trigger of the rulebook reads as
a sentence without ids, "|" or "...", the same in the CLI and over HTTP; the notify table
says when a class is still to be narrowed and what silence means."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from quyche_rules.cli.main import app
from quyche_rules.engine.engine import Engine
from quyche_rules.pages.phrases import default_phrasebook

ROOT = Path(__file__).resolve().parents[1]
#: a field or party id (snake_case), a bar, an ellipsis, an "@field" reference
MACHINE = re.compile(r"\b[a-z0-9]+_[a-z0-9_]+\b|\||\.\.\.|…|@")
runner = CliRunner()


def test_every_trigger_renders_as_a_sentence(engines: dict[str, Engine]) -> None:
    engine = engines["python"]
    phrases = default_phrasebook()
    seen = 0
    for rule in engine.rulebook:
        sentences = phrases.rule_sentences(rule, engine.parties)
        assert sentences, rule.id
        for s in sentences:
            for text in (s.vi, s.en):
                assert not MACHINE.search(text), (rule.id, text)
                assert text[0].isupper() and text.endswith("."), (rule.id, text)
            seen += 1
    assert seen >= len(engine.rulebook.rules)


def test_the_check_above_can_fail() -> None:
    assert MACHINE.search("Chức danh: diện | post_list ...")


def test_rules_show_prints_the_same_sentences(
    engines: dict[str, Engine], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("QUYCHE_LANG", raising=False)
    engine = engines["python"]
    rule = engine.rulebook.rules["art5.2.a.notify-standing-office"]
    want = default_phrasebook().rule_sentences(rule, engine.parties)
    r = runner.invoke(app, ["rules", "show", rule.id], env={"COLUMNS": "10000"})
    assert r.exit_code == 0, r.output
    for s in want:
        assert s.vi in " ".join(r.output.split())


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_notify_table_shows_class_to_narrow_and_silence(
    lang: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from quyche_rules.cli import common

    monkeypatch.setenv("QUYCHE_LANG", lang)
    monkeypatch.setattr(common.out, "width", 1000)  # one line per cell row: no folding
    events = ROOT / "examples" / "events"
    r = runner.invoke(
        app,
        [
            "notify",
            str(events / "03-1-de-nghi-phoi-hop-truoc-tet.yaml"),
            str(events / "13-4-quy-trinh-can-bo-co-quan.yaml"),
        ],
    )
    assert r.exit_code == 0, r.output
    text = " ".join(r.output.split())
    if lang == "vi":
        assert "quá hạn không trả lời được xem là đồng ý" in text
        assert "còn là một nhóm cơ quan: cần ghi rõ cơ quan nào" in text
        assert re.search(r"│ \d{2}/\d{2}/\d{4}", text)  # dd/mm/yyyy for people
    else:
        assert "no answer by the due date counts as consent" in text
        assert "a class still to be narrowed" in text
