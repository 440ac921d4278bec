"""Every province in one service: 34 generated provincial profiles loaded at once (a
national deployment after the 2025 reorganisation), each key answered under its own
profile, the receipt naming it, an administrator choosing one explicitly, and the
regulation's own parties answered under the regulation alone."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from quyche_rules.cli.main import app as cli
from quyche_rules.service import Settings, create_app
from quyche_rules.service.auth import new_key
from quyche_rules.service.store import Store
from quyche_rules.service.tenants import PROFILE_HEADER

from .provinces import body_id, body_name, province, write_provinces

COUNT = 34
EVENT = {
    "type": "personnel_action",
    "date": "2025-03-04",
    "action": "reappointment",
    "stage": "process_started",
    "person_in_bloc": True,
    "person_committee_role": "bi_thu",
}


def event(n: int) -> dict[str, object]:
    return {**EVENT, "conducted_by": body_name(n, "Sở Y tế")}


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("provinces")
    write_provinces(folder, COUNT)
    return folder


@pytest.fixture(scope="module")
def mapp(folder: Path, tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    db = tmp_path_factory.mktemp("many") / "many.db"
    settings = Settings(
        db_url=f"sqlite:///{db}", profiles_dir=str(folder), backend="python", rate_per_minute=0
    )
    return create_app(settings)


@pytest.fixture(scope="module")
def mclient(mapp: FastAPI) -> Iterator[TestClient]:
    with TestClient(mapp) as c:
        yield c


def _h(store: Store, party: str | None, profile: str | None) -> dict[str, str]:
    key, _ = new_key(store, party=party, admin=party is None, profile=profile)
    return {"Authorization": f"Bearer {key}"}


def test_each_key_answers_under_its_own_profile(
    mapp: FastAPI, mclient: TestClient, folder: Path
) -> None:
    store = mapp.state.services.store
    assert len(mapp.state.tenants.by_name) == COUNT
    for n in range(1, COUNT + 1):
        name = f"t{n:02d}"
        h = _h(store, body_id(n, "so_y_te"), name)
        r = mclient.post("/v1/notify", json=event(n), headers=h)
        assert r.status_code == 200, (name, r.text)
        obligated = {o["obligated"]["id"] for o in r.json()["obligations"]}
        assert body_id(n, "lanh_dao_so_y_te") in obligated, name
        digest = hashlib.sha256((folder / f"{name}.yaml").read_bytes()).hexdigest()
        assert r.json()["receipt"]["profile"] == f"{name}.yaml sha256:{digest}"
        # another province's body is unknown under this key's profile
        other = n % COUNT + 1
        r = mclient.post("/v1/notify", json=event(other), headers=h)
        assert r.status_code == 422, r.text
        assert r.json()["detail"].startswith("body.conducted_by: không có cơ quan")


def test_parties_show_the_keys_province(mapp: FastAPI, mclient: TestClient) -> None:
    h = _h(mapp.state.services.store, body_id(3, "so_y_te"), "t03")
    r = mclient.get("/v1/parties", headers=h)
    assert r.status_code == 200 and r.headers[PROFILE_HEADER] == "t03"
    mine = [p for p in r.json() if p["province"] is not None]
    assert mine and {p["province"] for p in mine} == {province(3)}
    assert body_id(3, "so_y_te") in {p["id"] for p in mine}
    assert body_id(4, "so_y_te") not in {p["id"] for p in r.json()}


def test_an_administrator_chooses_a_profile_or_is_told_to(
    mapp: FastAPI, mclient: TestClient
) -> None:
    store = mapp.state.services.store
    admin = _h(store, None, None)
    r = mclient.post("/v1/notify", json=event(5), headers=admin)
    assert r.status_code == 422
    said = f"{PROFILE_HEADER}: dịch vụ này phục vụ {COUNT} hồ sơ tỉnh"
    assert r.json()["detail"].startswith(said)
    r = mclient.post("/v1/notify", json=event(5), headers={**admin, PROFILE_HEADER: "t05"})
    assert r.status_code == 200 and r.json()["receipt"]["profile"].startswith("t05.yaml ")
    r = mclient.post("/v1/notify", json=event(5), headers={**admin, PROFILE_HEADER: "t99"})
    assert r.status_code == 422
    assert r.json()["detail"].startswith(f"{PROFILE_HEADER}: dịch vụ này không phục vụ hồ sơ")
    bound_admin = _h(store, None, "t06")
    r = mclient.post("/v1/notify", json=event(6), headers=bound_admin)
    assert r.status_code == 200 and r.json()["receipt"]["profile"].startswith("t06.yaml ")


def test_a_bound_key_never_answers_under_another_profile(
    mapp: FastAPI, mclient: TestClient
) -> None:
    store = mapp.state.services.store
    h = _h(store, body_id(1, "so_y_te"), "t01")
    r = mclient.post("/v1/notify", json=event(2), headers={**h, PROFILE_HEADER: "t02"})
    assert r.status_code == 403
    said = f"{PROFILE_HEADER}: khóa gắn với hồ sơ tỉnh 't01', không phải 't02'"
    assert r.json()["detail"] == said
    elsewhere = _h(store, None, "lao-cai")
    r = mclient.post("/v1/notify", json=event(1), headers=elsewhere)
    assert r.status_code == 403 and "'lao-cai', dịch vụ này không phục vụ hồ sơ đó" in r.text


def test_unbound_keys_find_their_body_or_the_regulation(mapp: FastAPI, mclient: TestClient) -> None:
    store = mapp.state.services.store
    # an older key, bound to a body and no profile: the one profile that has the body
    h = _h(store, body_id(7, "so_y_te"), None)
    r = mclient.post("/v1/notify", json=event(7), headers=h)
    assert r.status_code == 200 and r.json()["receipt"]["profile"].startswith("t07.yaml ")
    # a party the regulation names: the regulation alone (no profile in the receipt)
    h = _h(store, "ban_to_chuc_tinh_uy", None)
    request = {
        "type": "coordination_requested",
        "date": "2025-03-03",
        "received_on": "2025-03-03",
        "requester": "Đảng ủy Khối",
        "requested": "Ban Tổ chức Tỉnh ủy",
    }
    r = mclient.post("/v1/notify", json=request, headers=h)
    assert r.status_code == 200 and r.json()["receipt"]["profile"] is None
    r = mclient.post("/v1/notify", json=event(7), headers=h)
    assert r.status_code == 422  # a province's body is unknown to the regulation alone


def test_tracker_records_under_the_keys_profile(mapp: FastAPI, mclient: TestClient) -> None:
    h = _h(mapp.state.services.store, body_id(9, "lanh_dao_so_y_te"), "t09")
    request = {
        "type": "coordination_requested",
        "date": "2025-03-03",
        "received_on": "2025-03-03",
        "reference": "7-CV/SYT",
        "requester": body_name(9, "Sở Y tế"),
        "requested": "Đảng ủy Khối",
    }
    r = mclient.post("/v1/track", json=request, headers=h)
    assert r.status_code == 200, r.text
    assert r.json()["opened"][0]["requester"] == body_id(9, "so_y_te")


def test_cli_binds_keys_and_serve_refuses_two_profiles_of_one_name(
    folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # ``quyche serve`` hands its settings to workers in QUYCHE_* variables of this process:
    # put them back afterwards (setenv records each one's absence too)
    for var in Settings().to_env():
        monkeypatch.setenv(var, os.environ.get(var, ""))
    monkeypatch.delenv("QUYCHE_PROFILE")
    runner = CliRunner()
    db = ["--db", f"sqlite:///{tmp_path / 'k.db'}"]
    r = runner.invoke(
        cli, ["keys", "create", "--party", body_name(2, "Sở Y tế"), "--profile",
              str(folder / "t02.yaml"), *db],
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    assert f"for {body_id(2, 'so_y_te')} of profile t02" in r.stderr
    r = runner.invoke(cli, ["keys", "list", "--json", *db])
    assert '"profile": "t02"' in r.stdout
    twin = tmp_path / "twin"
    twin.mkdir()
    (twin / "t02.yaml").write_bytes((folder / "t02.yaml").read_bytes())
    r = runner.invoke(
        cli, ["serve", *db, "--profile", str(folder / "t02.yaml"), "--profile",
              str(twin / "t02.yaml")],
    )  # fmt: skip
    assert r.exit_code == 2, r.output
    assert "have the same name 't02'" in r.stderr


def test_each_province_has_its_pages(mclient: TestClient) -> None:
    r = mclient.get("/p/t03/")
    assert r.status_code == 200 and province(3) in r.text
    assert 'href="/p/t03/bodies/"' in r.text and 'href="/p/t03/static/pages.css"' in r.text
    r = mclient.get(f"/p/t03/bodies/{body_id(3, 'so_y_te')}")
    assert r.status_code == 200 and body_name(3, "Sở Y tế") in r.text
    assert mclient.get(f"/p/t03/bodies/{body_id(4, 'so_y_te')}").status_code == 404
    assert mclient.get("/p/t03/static/pages.css").status_code == 200
    assert mclient.get("/p/t03/ask").status_code == 200
    r = mclient.get("/p/t99/")
    assert r.status_code == 404
    assert province(3) not in mclient.get("/").text  # the regulation alone at /
