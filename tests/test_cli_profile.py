"""``--profile`` and ``$QUYCHE_PROFILE`` on the commands that answer queries (issue 8)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from quyche_rules.cli.main import app

ROOT = Path(__file__).resolve().parents[1]
PROFILE = ROOT / "profiles" / "dak-lak.yaml"
runner = CliRunner()

EVENT = """\
type: personnel_action
date: 2025-03-04
action: reappointment
stage: process_started
conducted_by: Sở Y tế
person_in_bloc: true
person_committee_role: bi_thu
"""


@pytest.fixture
def event(tmp_path: Path) -> Path:
    path = tmp_path / "su-kien.yaml"
    path.write_text(EVENT, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "args",
    [
        ["notify", "--profile", str(PROFILE)],
        ["--profile", str(PROFILE), "notify"],
    ],
    ids=["command-option", "global-option"],
)
def test_a_concrete_agency_gets_its_concrete_leadership(args: list[str], event: Path) -> None:
    r = runner.invoke(app, [*args, str(event), "--json"], env={"QUYCHE_PROFILE": ""})
    assert r.exit_code == 0, r.output
    by_rule = {o["rule_id"]: o for o in json.loads(r.output)}
    ask = by_rule["art13.4.request-written-opinion"]
    assert ask["obligated"]["name_vi"] == "Lãnh đạo Sở Y tế"
    assert ask["unresolved_class"] is False
    # Art. 3.1 binds the answer to that written request: towards the same concrete leadership
    answer = by_rule["art3.1.respond-art13-4-request"]
    assert answer["obligated"]["id"] == "dang_uy_khoi"
    assert [c["name_vi"] for c in answer["counterparties"]] == ["Lãnh đạo Sở Y tế"]


def test_the_environment_names_the_profile(event: Path) -> None:
    r = runner.invoke(app, ["notify", str(event), "--json"], env={"QUYCHE_PROFILE": str(PROFILE)})
    assert r.exit_code == 0, r.output
    obligated = {o["obligated"]["id"] for o in json.loads(r.output)}
    assert "lanh_dao_so_y_te" in obligated


def test_without_a_profile_a_concrete_body_is_an_unknown_party(event: Path) -> None:
    r = runner.invoke(app, ["notify", str(event)], env={"QUYCHE_PROFILE": ""})
    assert r.exit_code == 2
    assert r.output.strip().splitlines() == [
        f"error: {event}: conducted_by: unknown party 'Sở Y tế'"
    ]


def test_duties_of_a_concrete_body_with_a_profile() -> None:
    r = runner.invoke(
        app,
        ["duties", "lãnh đạo sở y tế", "--json", "--profile", str(PROFILE)],
        env={"QUYCHE_PROFILE": ""},
    )
    assert r.exit_code == 0, r.output
    rules = {d["rule_id"] for d in json.loads(r.output)}
    assert {"art13.4.request-written-opinion", "art13.8.invite-thuong-truc-dang-uy-khoi"} <= rules


def test_a_bad_profile_is_one_line(tmp_path: Path, event: Path) -> None:
    bad = tmp_path / "hong.yaml"
    bad.write_text("bodies: [1, 2\n", encoding="utf-8")
    r = runner.invoke(app, ["notify", "--profile", str(bad), str(event)], env={})
    assert r.exit_code == 2
    lines = r.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and "hong.yaml" in lines[0]
