"""The scenario-file format itself: located one-line errors, honest comparisons (each kind
of difference is reported), ready files and subdirectories, and ``quyche test``."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from quyche_rules.cli.main import app
from quyche_rules.engine.engine import Engine
from quyche_rules.errors import QuycheError, ScenarioError
from quyche_rules.rulebook.loader import Rulebook
from quyche_rules.scenarios.scenario import (
    check_scenarios,
    load_scenario_files,
    load_scenarios,
    run_scenario,
)

SCENARIO_DIR = Path(__file__).resolve().parent / "scenarios"
runner = CliRunner()

GOOD = """\
article: 3
scenarios:
  - id: respond
    story: {vi: Nhận văn bản đề nghị., en: A written request arrives.}
    event: {type: coordination_requested, date: 2025-02-03, requester: dang_uy_khoi,
            requested: ban_to_chuc_tinh_uy, received_on: 2025-02-03}
    expect:
      - {rule: art3.1.respond, obligated: Ban Tổ chức Tỉnh ủy, counterparties: [dang_uy_khoi],
         due: 2025-02-12, silence_means: consent}
    must_not_fire: [art15.2]
"""


def _write(tmp_path: Path, text: str, name: str = "dieu-03.yaml") -> Path:
    p = tmp_path / name
    p.write_text(textwrap.dedent(text), encoding="utf-8")
    return p


def _one(tmp_path: Path, text: str, book: Rulebook, engine: Engine) -> tuple[bool, list[str]]:
    (sc,) = load_scenarios([_write(tmp_path, text)], book)
    out = run_scenario(engine, sc)
    return out.passed, [*out.problems, *([out.error] if out.error else [])]


# --- ready files and subdirectories -----------------------------------------------------------


def test_ready_scenarios_name_no_defect(book: Rulebook) -> None:
    """Issue 9 emptied ``pending/``: a scenario with a ``defect`` belongs in a pending
    directory of its own, never among the ready files."""
    ready = load_scenario_files([SCENARIO_DIR])
    check_scenarios(ready, book)
    assert not [sc.id for sc in ready if sc.model.defect], "a scenario with a defect is pending"


def test_a_directory_does_not_reach_into_subdirectories(tmp_path: Path) -> None:
    """A pending/ subdirectory stays out of a run of its parent."""
    _write(tmp_path, GOOD)
    (tmp_path / "pending").mkdir()
    _write(tmp_path / "pending", GOOD.replace("id: respond", "id: pending-respond"))
    ids = {sc.id for sc in load_scenario_files([tmp_path])}
    assert ids == {"respond"}
    assert {sc.id for sc in load_scenario_files([tmp_path / "pending"])} == {"pending-respond"}


# --- located errors --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            ("    story:", "    tale:"),
            "dieu-03.yaml, scenario respond, field story: Field required",
        ),
        (("    event: {", "    events: [{"), "malformed YAML"),
        (("art3.1.respond,", "art3.1.reply,"), "field expect.0: unknown rule id 'art3.1.reply'"),
        (("[art15.2]", "[art15.9]"), "field must_not_fire.0: 'art15.9' is neither"),
        (("[art15.2]", "[art3.1]"), "field must_not_fire.0: 'art3.1' is also expected"),
        (("[dang_uy_khoi]", "[ban_khong_co]"), "expect.0.counterparties.0: unknown party"),
        (("due: 2025-02-12", "due: 12/02/2025"), "field expect.0.due: Input should be"),
        (("  - id: respond", "  - id: Respond Me"), "scenario Respond Me, field id"),
    ],
)
def test_malformed_files_give_one_located_line(
    tmp_path: Path, book: Rulebook, change: tuple[str, str], expected: str
) -> None:
    text = GOOD.replace(*change)
    assert text != GOOD
    with pytest.raises(QuycheError) as exc:
        load_scenarios([_write(tmp_path, text)], book)
    msg = str(exc.value)
    assert expected in msg and "\n" not in msg
    assert "dieu-03.yaml" in msg


def test_event_and_events_are_exclusive(tmp_path: Path) -> None:
    text = GOOD.replace(
        "    expect:",
        "    events: [{type: period_started, date: 2025-01-01, period: year}]\n    expect:",
    )
    with pytest.raises(ScenarioError, match=r"scenario respond.*exactly one of event"):
        load_scenario_files([_write(tmp_path, text)])


def test_duplicate_ids_across_files_are_refused(tmp_path: Path) -> None:
    _write(tmp_path, GOOD, "a.yaml")
    _write(tmp_path, GOOD, "b.yaml")
    with pytest.raises(ScenarioError, match=r"b.yaml, scenario respond, field id: duplicate"):
        load_scenario_files([tmp_path])


def test_missing_path_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="no such file"):
        load_scenario_files([tmp_path / "nope.yaml"])


# --- comparisons: each kind of difference is caught -----------------------------------------


def test_the_good_scenario_passes(
    tmp_path: Path, book: Rulebook, engines: dict[str, Engine]
) -> None:
    assert _one(tmp_path, GOOD, book, engines["python"]) == (True, [])


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (("due: 2025-02-12", "due: 2025-02-13"), "due          art3.1.respond"),
        (("silence_means: consent", "silence_means: null"), "expected none, got consent"),
        (("counterparties: [dang_uy_khoi]", "counterparties: [ban_noi_chinh_tinh_uy]"), "missing"),
        (("[art15.2]", "[art3.1.respond]\n    expect: []"), "must not fire (art3.1.respond)"),
        (
            (
                "      - {rule",
                "      - {rule: art3.1.send-request, obligated: dang_uy_khoi, "
                "counterparties: [van_phong_tinh_uy]}\n      - {rule",
            ),
            "missing      art3.1.send-request",
        ),
        (("requested: ban_to_chuc_tinh_uy", "requested: ban_noi_chinh_tinh_uy"), "unexpected"),
        (("received_on: 2025-02-03", "received_on: yesterday"), "event: received_on"),
    ],
)
def test_differences_are_reported(
    tmp_path: Path,
    book: Rulebook,
    engines: dict[str, Engine],
    change: tuple[str, str],
    problem: str,
) -> None:
    text = GOOD.replace(*change)
    if "expect: []" in change[1]:  # replace the whole expectation by "nothing"
        head, _ = GOOD.split("    expect:")
        text = head + "    must_not_fire: [art3.1.respond]\n    expect: []\n"
    passed, problems = _one(tmp_path, text, book, engines["python"])
    assert not passed
    assert any(problem in p for p in problems), problems


def test_not_exact_ignores_other_obligations(
    tmp_path: Path, book: Rulebook, engines: dict[str, Engine]
) -> None:
    head, _ = GOOD.split("    expect:")
    text = head + "    exact: false\n    must_not_fire: [art15.2]\n"
    assert _one(tmp_path, text, book, engines["python"]) == (True, [])
    assert not _one(tmp_path, head + "    must_not_fire: [art15.2]\n", book, engines["python"])[0]


def test_several_events_are_pooled(
    tmp_path: Path, book: Rulebook, engines: dict[str, Engine]
) -> None:
    text = """\
    scenarios:
      - id: two
        story: {vi: Hai sự kiện., en: Two events.}
        events:
          - {type: travel_abroad, date: 2026-06-01, traveller_in_bloc: true, purpose: study}
          - {type: travel_abroad, date: 2026-06-02, traveller_in_bloc: false, purpose: study}
        expect:
          - {rule: art15.2.inform-travel-abroad, obligated: dang_uy_cong_an_tinh,
             counterparties: [dang_uy_khoi]}
    """
    assert _one(tmp_path, text, book, engines["durable"]) == (True, [])


# --- quyche test ------------------------------------------------------------------------------


def test_cli_runs_the_scenario_directory_green_with_full_coverage() -> None:
    r = runner.invoke(app, ["test", str(SCENARIO_DIR), "--backend", "python", "--require-coverage"])
    assert r.exit_code == 0, r.output
    assert "PASS " in r.output and "FAIL " not in r.output
    assert " 0 failed" in r.output
    assert "35/35 triggered clauses" in r.output or "lacks" not in r.output


def test_cli_fails_and_shows_the_diff(tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD.replace("due: 2025-02-12", "due: 2025-02-13"))
    r = runner.invoke(app, ["test", str(path), "--backend", "python", "--no-coverage"])
    assert r.exit_code == 1
    assert "FAIL  dieu-03.yaml  respond" in r.output
    assert "expected 2025-02-13, got 2025-02-12" in r.output
    assert "0 passed, 1 failed" in r.output


def test_cli_coverage_names_the_clauses_lacking_scenarios(tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD)
    r = runner.invoke(app, ["test", str(path), "--backend", "python"])
    assert r.exit_code == 0, r.output
    assert "lacks positive and negative: art13.4" in r.output
    assert "lacks negative: art3.1" in r.output
    r = runner.invoke(app, ["test", str(path), "--backend", "python", "--require-coverage"])
    assert r.exit_code == 1


def test_cli_malformed_file_exits_2_with_one_line(tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD.replace("art3.1.respond,", "art3.1.reply,"))
    r = runner.invoke(app, ["test", str(path)])
    assert r.exit_code == 2
    lines = r.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: dieu-03.yaml, scenario respond")
    r = runner.invoke(app, ["test", str(path), "--backend", "lisp"])
    assert r.exit_code == 2 and "--backend" in r.output


def test_quyche_test_runs_against_the_rules_dir_chosen(rules_copy: Path) -> None:
    """``quyche --rules-dir DIR test`` checks DIR's rules, not the packaged ones: drop the
    rule of 8.1's recommendations from a copy and its scenario names an unknown rule."""
    f = rules_copy / "articles" / "dieu-08.yaml"
    text = f.read_text(encoding="utf-8")
    start = text.index("  - id: art8.1.report-recommendations")
    end = text.index("  - id: art8.1.coordinate-professional-van-phong")
    f.write_text(text[:start] + text[end:], encoding="utf-8")
    scenarios = str(SCENARIO_DIR / "dieu-08.yaml")
    packaged = runner.invoke(app, ["test", scenarios, "--no-coverage"])
    assert packaged.exit_code == 0, packaged.output
    copy = runner.invoke(app, ["--rules-dir", str(rules_copy), "test", scenarios])
    assert copy.exit_code == 2
    assert "unknown rule id 'art8.1.report-recommendations'" in copy.output
