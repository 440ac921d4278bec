"""A deployment profile in the service (``profiles/dak-lak.yaml``): events naming its
concrete bodies are accepted by notify, batch, explain and track (validated against the
engine's registry, not the default one), receipts name the profile by file and content
hash, keys may be bound to its bodies, and a body's leadership records for the body it
acts for (but a body's Party organisation does not)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from quyche_rules.cli.main import app as cli
from quyche_rules.engine.engine import Engine
from quyche_rules.service import Settings, create_app
from quyche_rules.service.auth import new_key

from .conftest import ROOT

PROFILE = ROOT / "profiles" / "dak-lak.yaml"
EVENT = {
    "type": "personnel_action",
    "date": "2025-03-04",
    "action": "reappointment",
    "stage": "process_started",
    "conducted_by": "Sở Y tế",
    "person_in_bloc": True,
    "person_committee_role": "bi_thu",
}
REQUEST = {
    "type": "coordination_requested",
    "date": "2025-03-03",
    "received_on": "2025-03-03",
    "reference": "7-CV/SYT",
    "requester": "Sở Y tế",
    "requested": "Đảng ủy Khối",  # one side is Đảng ủy Khối (Art. 1.1)
}


@pytest.fixture(scope="module")
def papp(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    db = tmp_path_factory.mktemp("profile") / "p.db"
    settings = Settings(
        db_url=f"sqlite:///{db}", profile=str(PROFILE), backend="python", rate_per_minute=0
    )
    return create_app(settings)


@pytest.fixture(scope="module")
def pclient(papp: FastAPI) -> Iterator[TestClient]:
    with TestClient(papp) as c:
        yield c


def _key(app: FastAPI, party: str | None) -> dict[str, str]:
    key, _ = new_key(app.state.services.store, party=party, admin=party is None)
    return {"Authorization": f"Bearer {key}"}


def test_profile_bodies_accepted_and_receipt_names_the_profile(
    papp: FastAPI, pclient: TestClient
) -> None:
    h = _key(papp, None)
    r = pclient.post("/v1/notify", json=EVENT, headers=h)
    assert r.status_code == 200, r.text
    library = Engine(backend="python", profile=PROFILE).who_must_be_notified(EVENT)
    assert r.json()["obligations"] == [o.model_dump(mode="json") for o in library]
    assert "lanh_dao_so_y_te" in {o["obligated"]["id"] for o in r.json()["obligations"]}
    digest = hashlib.sha256(PROFILE.read_bytes()).hexdigest()
    assert r.json()["receipt"]["profile"] == f"dak-lak.yaml sha256:{digest}"
    batch = pclient.post("/v1/notify/batch", json={"events": [EVENT, EVENT]}, headers=h)
    assert batch.status_code == 200
    assert [x["obligations"] for x in batch.json()["results"]] == [r.json()["obligations"]] * 2
    explain = {"event": EVENT, "rule_id": "art13.4.request-written-opinion"}
    r = pclient.post("/v1/explain", json=explain, headers=h)
    assert r.status_code == 200 and r.json()["fired"]


def test_unknown_bodies_still_refused_naming_the_field(
    papp: FastAPI, pclient: TestClient, client: TestClient, keys: Any
) -> None:
    h = _key(papp, None)
    bad = {**EVENT, "conducted_by": "Sở Không Có"}
    for path, body, place in (
        ("/v1/notify", bad, "body.conducted_by"),
        ("/v1/notify/batch", {"events": [EVENT, bad]}, "body.events.1.conducted_by"),
        ("/v1/track", {**REQUEST, "requested": "Sở Không Có"}, "body.requested"),
    ):
        r = pclient.post(path, json=body, headers=h)
        assert r.status_code == 422, r.text
        assert r.json()["detail"].startswith(f"{place}: không có cơ quan 'Sở Không Có'"), r.text
    # before the regulation was signed (the profile's date): refused, one line, for the
    # regulation's time before its bodies' (a place in the body, as every body error)
    r = pclient.post("/v1/notify", json={**EVENT, "date": "2020-01-02"}, headers=h)
    assert r.status_code == 422
    assert r.json()["detail"].startswith("body.date: ngày 02/01/2020 trước khi"), r.text
    # the same concrete body on a service without the profile: unknown, as in the library
    r = client.post("/v1/notify", json=EVENT, headers=keys.h(keys.admin))
    assert r.status_code == 422
    assert r.json()["detail"] == "body.conducted_by: không có cơ quan 'Sở Y tế'"


def test_keys_of_profile_bodies_and_acting_for(papp: FastAPI, pclient: TestClient) -> None:
    leadership = _key(papp, "lanh_dao_so_y_te")  # acts for so_y_te
    department = _key(papp, "so_y_te")
    party_org = _key(papp, "dang_bo_so_y_te")  # agency link: not acting for it
    r = pclient.post("/v1/track", json=REQUEST, headers=leadership)
    assert r.status_code == 200, r.text
    (case,) = r.json()["opened"]
    assert case["requester"] == "so_y_te" and case["obligated"] == "dang_uy_khoi"
    as_leadership = {**REQUEST, "reference": "8-CV/SYT", "requester": "Lãnh đạo Sở Y tế"}
    r = pclient.post("/v1/track", json=as_leadership, headers=department)
    assert r.status_code == 403  # the body does not speak for its leadership
    r = pclient.post("/v1/track", json={**REQUEST, "reference": "9-CV/SYT"}, headers=party_org)
    assert r.status_code == 403
    path = f"/v1/track/cases/{case['id']}"
    assert pclient.get(path, headers=department).status_code == 200
    assert pclient.get(path, headers=leadership).status_code == 200
    assert pclient.get(path, headers=party_org).status_code == 404
    status = pclient.get("/v1/track/status?as_of=2025-03-04", headers=department).json()
    assert status["party"] == "so_y_te" and [c["id"] for c in status["owed_to"]] == [case["id"]]


def test_keys_cli_binds_a_key_to_a_profile_body(tmp_path: Path) -> None:
    runner = CliRunner()
    db = ["--db", f"sqlite:///{tmp_path / 'k.db'}"]
    r = runner.invoke(
        cli, ["keys", "create", "--party", "Sở Y tế", *db], env={"QUYCHE_PROFILE": ""}
    )
    assert r.exit_code == 2 and r.stderr.startswith("error: --party: unknown party 'Sở Y tế'")
    r = runner.invoke(cli, ["keys", "create", "--party", "Sở Y tế", "--profile", str(PROFILE), *db])
    assert r.exit_code == 0, r.output
    assert "for so_y_te" in r.stderr
    r = runner.invoke(
        cli, ["keys", "create", "--party", "Sở Y tế", *db], env={"QUYCHE_PROFILE": str(PROFILE)}
    )
    assert r.exit_code == 0, r.output


def test_serve_refuses_a_bad_profile_in_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("province: X\nbodies: []\n", encoding="utf-8")
    db = f"sqlite:///{tmp_path / 's.db'}"
    for args, env in (
        (["serve", "--profile", str(bad), "--db", db], {"QUYCHE_PROFILE": ""}),
        (["serve", "--db", db], {"QUYCHE_PROFILE": str(bad)}),
    ):
        r = CliRunner().invoke(cli, args, env=env)
        assert r.exit_code == 2, r.output
        assert r.stderr.startswith("error: ") and "bad.yaml" in r.stderr
        assert r.stderr.count("\n") == 1
