"""The command line: tables for people, JSON for systems, status 2 and one line on bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from quyche_rules.cli.main import app

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples" / "events").glob("*.yaml"))
runner = CliRunner()


def test_there_are_at_least_twelve_examples() -> None:
    assert len(EXAMPLES) >= 12


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_every_example_yields_obligations_identically_on_both_backends(path: Path) -> None:
    outs = []
    for backend in ("durable", "python"):
        r = runner.invoke(app, ["notify", str(path), "--json", "--backend", backend])
        assert r.exit_code == 0, r.output
        outs.append(json.loads(r.output))
    assert outs[0] == outs[1]
    assert outs[0], f"{path.name} gives no obligation"
    for ob in outs[0]:
        assert {
            "rule_id",
            "basis",
            "quote",
            "obligated",
            "counterparties",
            "duty",
            "form",
            "due",
            "silence_means",
        } <= set(ob)


def test_deadline_is_computed_for_the_tet_request() -> None:
    r = runner.invoke(
        app,
        ["notify", str(ROOT / "examples/events/03-1-de-nghi-phoi-hop-truoc-tet.yaml"), "--json"],
    )
    (ob,) = json.loads(r.output)
    assert ob["due"] == "2025-02-11" and ob["silence_means"] == "consent"


def test_table_output_shows_vietnamese_names() -> None:
    r = runner.invoke(app, ["notify", str(EXAMPLES[0])], env={"COLUMNS": "200"})
    assert r.exit_code == 0 and "Đảng ủy Khối" in r.output


def test_stdin_and_invalid_input_exit_2_with_one_line() -> None:
    r = runner.invoke(
        app, ["notify", "-"], input='{"type": "meeting_planned", "date": "2025-01-01"}'
    )
    assert r.exit_code == 2
    assert "Traceback" not in r.output and "convened_by" in r.output
    r = runner.invoke(app, ["notify", "-"], input='{"type": "nope", "date": "2025-01-01"}')
    assert r.exit_code == 2 and "unknown event type" in r.output
    r = runner.invoke(app, ["notify", "-"], input="type: [unclosed")
    assert r.exit_code == 2 and "malformed YAML" in r.output
    r = runner.invoke(app, ["notify", "/no/such/file.yaml"])
    assert r.exit_code == 2 and "cannot read" in r.output


def test_duties_and_unknown_party() -> None:
    r = runner.invoke(app, ["duties", "ban to chuc tinh uy", "--json"])
    assert r.exit_code == 0
    ids = {d["rule_id"] for d in json.loads(r.output)}
    assert "art5.2.a.notify-standing-office" in ids and "art3.1.respond" in ids
    r = runner.invoke(app, ["duties", "Ban Không Tồn Tại"])
    assert r.exit_code == 2 and "unknown party" in r.output


def test_deadline_command(tmp_path: Path) -> None:
    ics = tmp_path / "d.ics"
    r = runner.invoke(app, ["deadline", "2025-01-24", "7", "--json", "--ics", str(ics)])
    assert r.exit_code == 0
    assert json.loads(r.output) == {
        "received": "2025-01-24",
        "working_days": 7,
        "due": "2025-02-11",
        "provisional": False,
    }
    assert b"DTSTART;VALUE=DATE:20250211" in ics.read_bytes()
    r = runner.invoke(app, ["deadline", "24/01/2025"])
    assert r.exit_code == 2 and "ISO date" in r.output
    r = runner.invoke(app, ["deadline", "2025-01-24", "-3"])
    assert r.exit_code == 2


def test_rules_coverage_and_show() -> None:
    r = runner.invoke(app, ["rules", "coverage"], env={"COLUMNS": "200"})
    assert r.exit_code == 0, r.output
    assert "0 unit(s) not accounted for" in r.output
    r = runner.invoke(app, ["rules", "show", "art3.1.respond"], env={"COLUMNS": "200"})
    assert r.exit_code == 0 and "7 ngày làm việc" in r.output
    r = runner.invoke(app, ["rules", "show", "art99.nothing"])
    assert r.exit_code == 2


def test_schema_events_lists_every_event_type() -> None:
    from quyche_rules.model.events import EVENT_TYPES

    r = runner.invoke(app, ["schema", "events"])
    schema = json.loads(r.output)
    assert set(schema["discriminator"]["mapping"]) == set(EVENT_TYPES)


def test_library_example_runs() -> None:
    import subprocess
    import sys

    r = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "library_use.py")],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    assert "2025-02-11" in r.stdout and "rejected: date:" in r.stdout
