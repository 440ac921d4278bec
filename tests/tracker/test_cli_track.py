"""``quyche track``: the morning report of a clerk, the iCalendar feed, the database
location, and bad input (status 2, one line, nothing recorded)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from icalendar import Calendar
from typer.testing import CliRunner

from quyche_rules.cli.main import app

from .events import extension, request

runner = CliRunner()


def track(db: Path | str, *args: str, stdin: str | None = None) -> Any:
    return runner.invoke(app, ["track", *args, "--db", str(db)], input=stdin)


def write(tmp_path: Path, name: str, data: dict[str, Any]) -> str:
    p = tmp_path / name
    p.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return str(p)


def test_morning_report_due_date_extension_then_consent(tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    req = write(tmp_path, "req.json", request("15-CV/ĐUK", "2025-01-24"))
    r = track(db, "record", req)
    assert r.exit_code == 0 and r.output.startswith("recorded #1 coordination_requested")
    assert "by 2025-02-11" in r.output
    assert track(db, "record", req).output.startswith("already recorded #1")

    def status(day: str) -> dict[str, Any]:
        r = track(db, "status", "--party", "Ban Nội chính Tỉnh ủy", "--as-of", day, "--json")
        assert r.exit_code == 0, r.output
        return dict(json.loads(r.output))

    s = status("2025-02-10")
    assert [(c["due"], c["state"]) for c in s["owes"]] == [("2025-02-11", "awaiting")]
    assert s["due_soon"] == s["owes"]
    ext = extension("15-CV/ĐUK", "2025-02-10", "2025-02-20", own_ref="21-CV/BNC")
    r = track(db, "record", "-", stdin=json.dumps(ext))
    assert r.exit_code == 0 and "acts on case" in r.output
    s = status("2025-02-12")
    assert [(c["due"], c["state"]) for c in s["owes"]] == [("2025-02-20", "extended")]
    s = status("2025-02-21")
    assert s["owes"] == [] and s["consent"][0]["consent_since"] == "2025-02-21"
    argv = ["--lang", "vi", "track", "status", "--party", "ban_noi_chinh_tinh_uy"]
    human = runner.invoke(app, [*argv, "--as-of", "2025-02-21", "--db", str(db)])
    assert "xem là đồng ý" in human.output and "Ban Nội chính Tỉnh ủy" in human.output
    shown = track(db, "show", s["consent"][0]["id"][:6], "--json")
    kinds = [h["kind"] for h in json.loads(shown.output)["history"]]
    assert kinds == ["opened", "extension", "consent"]


def test_ics_uid_is_stable_per_case_and_follows_the_extension(tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    track(db, "record", write(tmp_path, "r.json", request("R", "2025-01-24")))
    feeds = []
    for day in ("2025-02-05", "2025-02-12"):
        if day == "2025-02-12":
            ext = extension("R", "2025-02-10", "2025-02-20")
            track(db, "record", write(tmp_path, "e.json", ext))
        out = tmp_path / f"{day}.ics"
        r = track(db, "ics", "--party", "dang_uy_khoi", str(out), "--as-of", day)
        assert r.exit_code == 0, r.output
        cal = Calendar.from_ical(out.read_bytes())
        feeds.append(
            [(str(e["uid"]), e.decoded("dtstart").isoformat()) for e in cal.walk("VEVENT")]
        )
    (uid1, due1), (uid2, due2) = feeds[0][0], feeds[1][0]
    assert uid1 == uid2 and (due1, due2) == ("2025-02-11", "2025-02-20")
    after = tmp_path / "after.ics"
    track(db, "ics", "--party", "dang_uy_khoi", str(after), "--as-of", "2025-02-21")
    assert Calendar.from_ical(after.read_bytes()).walk("VEVENT") == []  # consent: not open


def test_default_database_is_in_the_user_data_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("QUYCHE_DB", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    r = runner.invoke(
        app, ["track", "record", write(tmp_path, "r.json", request("R", "2025-01-24"))]
    )
    assert r.exit_code == 0, r.output
    assert (tmp_path / "data" / "quyche-rules" / "tracker.db").exists()
    monkeypatch.setenv("QUYCHE_DB", str(tmp_path / "env.db"))
    runner.invoke(app, ["track", "record", write(tmp_path, "r.json", request("R", "2025-01-24"))])
    assert (tmp_path / "env.db").exists()


@pytest.mark.parametrize(
    ("args", "stdin", "where"),
    [
        (["record", "-"], "type: [unclosed", "error: <stdin>"),
        (
            ["record", "-"],
            json.dumps({**request("X", "2025-01-24"), "requested": "x"}),
            "error: <stdin>: requested: unknown party 'x'",
        ),
        (
            ["record", "-"],
            json.dumps({k: v for k, v in request("X", "2025-01-24").items() if k != "reference"}),
            "error: <stdin>: reference:",
        ),
        (
            ["record", "-"],
            json.dumps({**request("R", "2025-01-24"), "received_on": "2025-01-27"}),
            "error: <stdin>: reference: 'R' from dang_uy_khoi is already recorded",
        ),
        (["record", "/nonexistent.yaml"], None, "error: /nonexistent.yaml: cannot read"),
        (["status", "--as-of", "27/11/2026"], None, "error: --as-of:"),
        (["status", "--party", "nobody"], None, "error: party: unknown party 'nobody'"),
        (["show", "zzz"], None, "error: case: no such case"),
    ],
)
def test_bad_input_exits_2_with_one_line_and_records_nothing(
    tmp_path: Path, args: list[str], stdin: str | None, where: str
) -> None:
    db = tmp_path / "t.db"
    track(db, "record", write(tmp_path, "r.json", request("R", "2025-01-24")))
    r = track(db, *args, stdin=stdin)
    assert r.exit_code == 2
    lines = r.stderr.strip().splitlines() if hasattr(r, "stderr") else r.output.splitlines()
    assert len(lines) == 1 and lines[0].startswith(where), r.output
    log = json.loads(track(db, "status", "--as-of", "2025-01-24", "--json").output)
    assert [c["reference"] for c in log["owed_to"]] == ["R"]


def test_an_unreachable_database_is_one_line(tmp_path: Path) -> None:
    r = track("postgresql://nobody@127.0.0.1:1/none", "status")
    assert r.exit_code == 1 and r.output.count("\n") == 1  # 1: a retry may fix it
    assert r.output.startswith("error: --db: cannot open the database")


EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "tracker"


@pytest.mark.parametrize(
    ("files", "state"),
    [
        (["01-request-before-tet.yaml", "02-extension.yaml"], "consent"),
        (["01-request-before-tet.yaml", "02-extension.yaml", "03-answer.yaml"], "answered_on_time"),
    ],
)
def test_the_readme_examples_end_as_the_readme_says(
    tmp_path: Path, files: list[str], state: str
) -> None:
    db = tmp_path / "t.db"
    for f in files:
        assert track(db, "record", str(EXAMPLES / f)).exit_code == 0
    shown = json.loads(track(db, "show", "c0b8", "--json", "--as-of", "2025-02-21").output)
    assert shown["id"] == "c0b80fe790281462" and shown["state"] == state


def test_status_and_show_give_each_cases_subject(tmp_path: Path) -> None:
    """A clerk finds a case by its number and what the letter is about: the request's
    ``summary`` is in ``track status`` and ``track show`` (text and JSON)."""
    db = tmp_path / "t.db"
    subject = "Đề nghị góp ý dự thảo kế hoạch kiểm tra"
    req = write(tmp_path, "req.json", {**request("15-CV/ĐUK", "2025-01-24"), "summary": subject})
    assert track(db, "record", req).exit_code == 0
    argv = ["track", "status", "--party", "ban_noi_chinh_tinh_uy", "--as-of", "2025-01-27"]
    r = runner.invoke(app, [*argv, "--json", "--db", str(db)])
    case = json.loads(r.output)["owes"][0]
    assert case["summary"] == subject
    for lang, label in (("vi", "trích yếu: "), ("en", "subject: ")):
        human = runner.invoke(app, ["--lang", lang, *argv, "--db", str(db)])
        assert "Đề nghị góp ý" in human.output, human.output  # under the number, wrapped
        shown = runner.invoke(app, ["--lang", lang, "track", "show", case["id"], "--db", str(db)])
        assert f"{label}{subject}" in shown.output, shown.output
    shown = track(db, "show", case["id"], "--json")
    assert json.loads(shown.output)["summary"] == subject
