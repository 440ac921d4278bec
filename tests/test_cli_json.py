"""Every ``--json`` output of the CLI validates against the schema ``quyche schema output``
publishes, and has the shape of its HTTP twin (the same models)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
from typer.testing import CliRunner

from quyche_rules.cli.main import app

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[1]
EVENT = str(ROOT / "examples" / "events" / "02-2-bat-dong-y-kien.yaml")


def _schema(name: str) -> dict[str, Any]:
    r = runner.invoke(app, ["schema", "output", name])
    assert r.exit_code == 0, r.output
    schema: dict[str, Any] = json.loads(r.output)
    return schema


def _json(argv: list[str], code: int = 0) -> Any:
    r = runner.invoke(app, argv)
    assert r.exit_code == code, r.output
    return json.loads(r.stdout)


@pytest.mark.parametrize(
    ("name", "argv"),
    [
        ("rules-show", ["rules", "show", "art10.2.notify-dang-doan-hdnd", "--json"]),
        ("rules-coverage", ["rules", "coverage", "--json"]),
        ("duties", ["duties", "ban to chuc tinh uy", "--json"]),
        ("why-not", ["why-not", EVENT, "art2.2.report-disagreement", "--json"]),
    ],
)
def test_output_validates_against_its_schema(name: str, argv: list[str]) -> None:
    data = _json(argv)
    jsonschema_rs.validate(_schema(name), data)


def test_keys_list_validates(tmp_path: Path) -> None:
    db = str(tmp_path / "keys.db")
    made = runner.invoke(app, ["keys", "create", "--admin", "--db", db])
    assert made.exit_code == 0, made.output
    rows = _json(["keys", "list", "--json", "--db", db])
    assert len(rows) == 1 and rows[0]["admin"] is True
    jsonschema_rs.validate(_schema("keys-list"), rows)


def test_duties_basis_is_an_object_as_in_notify() -> None:
    duties = _json(["duties", "ban to chuc tinh uy", "--json"])
    notify = _json(["notify", EVENT, "--json"])
    assert set(duties[0]["basis"]) == set(notify[0]["basis"]) >= {"article", "label"}


def test_rules_show_is_the_http_shape(tmp_path: Path) -> None:
    from quyche_rules.service.models import RuleOut

    data = _json(["rules", "show", "art10.2.notify-dang-doan-hdnd", "--json"])
    assert RuleOut.model_validate(data).id == "art10.2.notify-dang-doan-hdnd"


def test_why_not_names_the_failed_condition() -> None:
    why = _json(["why-not", EVENT, "art10.2.notify-dang-doan-hdnd", "--json"])
    assert why["fired"] is False
    assert why["triggers"][0]["failed"][0]["field"] == "type"
    r = runner.invoke(app, ["why-not", EVENT, "no.such.rule"])
    assert r.exit_code == 2 and "rule_id: unknown rule id" in r.output


def test_unknown_output_schema_is_refused() -> None:
    r = runner.invoke(app, ["schema", "output", "nope"])
    assert r.exit_code == 2 and "no published output schema" in r.output
