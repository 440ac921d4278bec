"""Every silent class of ``quyche rules check`` has a written reading of why the text is
silent there (``rules/silent-readings.yaml``), with and without the Đắk Lắk profile; every
reading still covers a silent class; ``rules/README.md`` lists them; and the check can
fail: a class left without a reading is counted and shown."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from quyche_rules.analysis.check import CheckReport, to_json
from quyche_rules.analysis.classes import EventClass
from quyche_rules.analysis.readings import FILE, Readings, load_readings
from quyche_rules.analysis.render import check_lines
from quyche_rules.engine.engine import Engine
from quyche_rules.errors import RulebookError
from quyche_rules.io.resources import packaged_rules_dir

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def reports(check_report: CheckReport, profile_check_report: CheckReport) -> list[CheckReport]:
    return [check_report, profile_check_report]


def _silent(report: CheckReport) -> list[EventClass]:
    return [r.cls for r in report.results if r.error is None and not r.obligations]


def test_every_silent_group_has_a_reading(reports: list[CheckReport]) -> None:
    for report in reports:
        assert report.silent, "no silent class at all: the check would test nothing"
        unread = [(g.event_type, g.when) for g in report.silent if g.unread or not g.readings]
        assert unread == [], f"silent groups without a reading ({report.profile}): {unread}"
        data = to_json(report, with_classes=False)
        assert all(g["readings"] and g["unread"] == 0 for g in data["silent"])
        text = "\n".join(check_lines(report))
        assert "⇒ [scope-neither-side-is-dang-uy-khoi] Điều 1.1, 2.1" in text
        assert "⚠" not in text


def test_every_reading_covers_a_silent_class(reports: list[CheckReport]) -> None:
    readings = load_readings(packaged_rules_dir())
    used = {r.id for report in reports for c in _silent(report) for r in readings.items
            if r.covers(c)}  # fmt: skip
    assert [r.id for r in readings.items if r.id not in used] == []


def test_a_reading_of_whole_types_is_only_for_types_no_rule_listens_to(
    engines: dict[str, Engine],
) -> None:
    listened = {t.event_type for t in engines["python"].triggers}
    for r in load_readings(packaged_rules_dir()).items:
        if not r.when_any:
            assert not set(r.event_types) & listened, r.id


def test_a_class_without_a_reading_is_counted_and_shown(reports: list[CheckReport]) -> None:
    report = reports[0]
    readings = load_readings(packaged_rules_dir())
    silent = _silent(report)
    assert readings.of(silent)[1] == 0
    fewer = Readings(tuple(r for r in readings.items if r.id != "personnel-person-outside-bloc"))
    _used, bare = fewer.of(silent)
    assert bare > 0  # the test above fails when a reading goes missing
    group = report.silent[0]
    from dataclasses import replace

    shown = "\n".join(check_lines(replace(report, silent=[replace(group, unread=2)])))
    assert "⚠ chưa có cách đọc cho 2 lớp / no reading for 2 classes" in shown


def test_the_readings_are_listed_in_the_rules_readme() -> None:
    readme = (ROOT / "rules" / "README.md").read_text(encoding="utf-8")
    listed = set(re.findall(r"`([a-z0-9-]+)`", readme))
    missing = [r.id for r in load_readings(packaged_rules_dir()).items if r.id not in listed]
    assert missing == []


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("readings: []\n", "readings"),
        ("readings:\n  - {id: x, event_types: [nope], vi: a, en: b}\n", "readings.x.event_types"),
        ("readings:\n  - {id: x, event_types: [travel_abroad], vi: a}\n", "readings.x.en"),
        (
            "readings:\n  - {id: x, event_types: [travel_abroad], vi: a, en: b}\n"
            "  - {id: x, event_types: [travel_abroad], vi: a, en: b}\n",
            "readings.x.id",
        ),
    ],
)
def test_a_malformed_readings_file_is_one_line_naming_the_field(
    tmp_path: Path, text: str, field: str
) -> None:
    (tmp_path / FILE).write_text(text, encoding="utf-8")
    with pytest.raises(RulebookError) as exc:
        load_readings(tmp_path)
    assert f"field {field}" in str(exc.value) and "\n" not in str(exc.value)
