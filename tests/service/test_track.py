"""The tracker over HTTP: the authorisation matrix of the track endpoints (own / foreign
case, own / foreign status, recording as one's own body or another's, unknown and revoked
keys), idempotency, and the same answers as the library's ``Tracker`` and the CLI's
``quyche track status --json`` for the README's morning report (``examples/tracker/``)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from quyche_rules.cli.main import app as cli
from quyche_rules.engine.engine import Engine
from quyche_rules.io.parse_cache import load_yaml
from quyche_rules.service import Settings, create_app
from quyche_rules.service.auth import new_key
from quyche_rules.tracker import Tracker
from quyche_rules.tracker.model import status_to_json

from .conftest import ROOT, A, B, Keys, without_request

D = "dang_uy_khoi"
EXAMPLES = ROOT / "examples" / "tracker"


def _h(key: str | None) -> dict[str, str]:
    return {} if key is None else {"Authorization": f"Bearer {key}"}


def _request(requested: str, reference: str | None = None) -> dict[str, Any]:
    """A written request of Đảng ủy Khối to ``requested``: one Art. 3.1 case."""
    return {
        "type": "coordination_requested",
        "date": "2025-03-03",
        "received_on": "2025-03-03",
        "reference": reference or f"{uuid.uuid4().hex[:8]}-CV/ĐUK",
        "requester": D,
        "requested": requested,
    }


def _example(name: str) -> dict[str, Any]:
    data = load_yaml(EXAMPLES / name)
    return {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in data.items()}


@pytest.fixture(scope="module")
def dk_key(app: FastAPI) -> str:
    """A key of Đảng ủy Khối, the requester of every request here."""
    key, _ = new_key(app.state.services.store, party=D, admin=False)
    return key


@pytest.fixture(scope="module")
def case_of_a(client: TestClient, dk_key: str) -> str:
    r = client.post("/v1/track", json=_request(A), headers=_h(dk_key))
    assert r.status_code == 200, r.text
    (case,) = r.json()["opened"]
    assert case["obligated"] == A and case["requester"] == D
    return str(case["id"])


def test_track_endpoints_refuse_unknown_and_revoked_keys(
    client: TestClient, keys: Keys, case_of_a: str
) -> None:
    calls = [
        ("POST", "/v1/track", _request(A)),
        ("GET", "/v1/track/status", None),
        ("GET", f"/v1/track/cases/{case_of_a}", None),
        ("GET", "/v1/track/ics", None),
    ]
    for method, path, body in calls:
        for key in (None, "not-a-key", keys.unknown, keys.revoked):
            r = client.request(method, path, json=body, headers=_h(key))
            assert r.status_code == 401, (path, key, r.text)
            assert r.json()["detail"].startswith("Authorization")


def test_own_case_200_foreign_case_404_like_a_missing_one(
    client: TestClient, keys: Keys, dk_key: str, case_of_a: str
) -> None:
    path = f"/v1/track/cases/{case_of_a}"
    for key in (keys.admin, keys.a, dk_key):  # administrator, obligated, requester
        r = client.get(path, headers=_h(key))
        assert r.status_code == 200, r.text
        assert r.json()["id"] == case_of_a and r.json()["history"][0]["kind"] == "opened"
    foreign = client.get(path, headers=_h(keys.b))
    missing = client.get("/v1/track/cases/c000000000000000", headers=_h(keys.b))
    assert foreign.status_code == missing.status_code == 404
    assert without_request(foreign.json()) == without_request(missing.json())
    assert foreign.json()["detail"] == "case_id: không có hồ sơ này"
    # a prefix would be a search over what exists: refused like a missing case
    assert client.get(f"/v1/track/cases/{case_of_a[:6]}", headers=_h(keys.a)).status_code == 404


def test_recording_as_another_body_is_403_and_records_nothing(
    client: TestClient, keys: Keys, app: FastAPI
) -> None:
    before = app.state.services.tracker.store.counts()
    ev = _request(B)  # the sender is Đảng ủy Khối (requester), not A
    r = client.post("/v1/track", json=ev, headers=_h(keys.a))
    assert r.status_code == 403
    assert r.json()["detail"] == f"body.requester: khóa này không được ghi thay {D!r}"
    # an answer is sent by the requested body: B may not answer in A's name
    answer = {
        "type": "coordination_answered",
        "date": "2025-03-05",
        "reference": "9-CV/X",
        "requester": D,
        "requested": A,
        "in_reply_to": "1-CV/ĐUK",
    }
    r = client.post("/v1/track", json=answer, headers=_h(keys.b))
    assert r.status_code == 403 and r.json()["detail"].startswith("body.requested:")
    # an event that names no sender: administrators only
    period = {"type": "period_started", "date": "2025-07-01", "period": "half_year"}
    r = client.post("/v1/track", json=period, headers=_h(keys.a))
    assert r.status_code == 403 and r.json()["detail"].startswith("body.type:")
    assert app.state.services.tracker.store.counts() == before


def test_recording_is_idempotent_and_answers_act_on_the_case(
    client: TestClient, keys: Keys, dk_key: str
) -> None:
    ev = _request(A)
    first = client.post("/v1/track", json=ev, headers=_h(dk_key)).json()
    again = client.post("/v1/track", json=ev, headers=_h(dk_key)).json()
    assert first["record"]["created"] and not again["record"]["created"]
    assert first["record"]["seq"] == again["record"]["seq"]
    assert first["opened"] == again["opened"]
    assert first["receipt"]["decision_id"] != again["receipt"]["decision_id"]
    changed = {**ev, "summary": "other content under the same reference"}
    r = client.post("/v1/track", json=changed, headers=_h(dk_key))
    assert r.status_code == 422 and "\n" not in r.json()["detail"]
    answer = {
        "type": "coordination_answered",
        "date": "2025-03-05",
        "reference": f"{uuid.uuid4().hex[:6]}-CV/BTCTU",
        "requester": D,
        "requested": A,
        "in_reply_to": ev["reference"],
    }
    r = client.post("/v1/track", json=answer, headers=_h(keys.a))
    assert r.status_code == 200, r.text
    (acted,) = r.json()["acts_on"]
    assert acted["id"] == first["opened"][0]["id"] and acted["state"] == "answered_on_time"
    # the decision is in the log, readable by the recording key
    logged = client.get(f"/v1/decisions/{r.json()['receipt']['decision_id']}", headers=_h(keys.a))
    assert logged.status_code == 200 and logged.json()["kind"] == "track"


def test_status_only_of_ones_own_body(client: TestClient, keys: Keys, case_of_a: str) -> None:
    own = client.get("/v1/track/status?as_of=2025-03-04", headers=_h(keys.a))
    assert own.status_code == 200 and own.json()["party"] == A
    assert case_of_a in [c["id"] for c in own.json()["owes"]]
    named = client.get(f"/v1/track/status?party={A}&as_of=2025-03-04", headers=_h(keys.a))
    assert named.json() == own.json()
    for other in (B, "Ban Nội chính Tỉnh ủy", "no such body"):
        r = client.get("/v1/track/status", params={"party": other}, headers=_h(keys.a))
        assert r.status_code == 404, other
    r = client.get("/v1/track/status", params={"party": B}, headers=_h(keys.admin))
    assert r.status_code == 200 and r.json()["party"] == B
    everyone = client.get("/v1/track/status?as_of=2025-03-04", headers=_h(keys.admin))
    assert everyone.json()["party"] is None
    assert case_of_a in [c["id"] for c in everyone.json()["owes"]]


def test_ics_feed_of_ones_own_body(client: TestClient, keys: Keys, case_of_a: str) -> None:
    r = client.get("/v1/track/ics?as_of=2025-03-04", headers=_h(keys.a))
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/calendar")
    assert f"UID:{case_of_a}@quyche-rules" in r.text
    assert client.get(f"/v1/track/ics?party={A}", headers=_h(keys.b)).status_code == 404
    r = client.get("/v1/track/ics", headers=_h(keys.admin))
    assert r.status_code == 422 and r.json()["detail"].startswith("party:")


MORNING = [  # the README's morning report: (file recorded first or None, as-of date)
    ("01-request-before-tet.yaml", "2025-02-07"),
    ("02-extension.yaml", "2025-02-12"),
    (None, "2025-02-21"),
]


def test_morning_report_same_over_http_as_tracker_and_cli(tmp_path: Path, engine: Engine) -> None:
    app = create_app(Settings(db_url=f"sqlite:///{tmp_path / 'http.db'}"), engine=engine)
    admin, _ = new_key(app.state.services.store, party=None, admin=True)
    bnc, _ = new_key(app.state.services.store, party="ban_noi_chinh_tinh_uy", admin=False)
    library = Tracker(tmp_path / "lib.db", engine=engine)
    runner = CliRunner()
    seen_states = []
    with TestClient(app) as client:
        for name, day in MORNING:
            if name is not None:
                event = _example(name)
                r = client.post("/v1/track", json=event, headers=_h(admin))
                assert r.status_code == 200, r.text
                library.record(event)
            for party, key in (("ban_noi_chinh_tinh_uy", bnc), ("dang_uy_khoi", admin)):
                r = client.get(
                    "/v1/track/status", params={"party": party, "as_of": day}, headers=_h(key)
                )
                assert r.status_code == 200
                assert r.json() == status_to_json(library.status(party, dt(day)))
                out = runner.invoke(
                    cli,
                    ["track", "status", "--party", party, "--as-of", day, "--json"],
                    env={"QUYCHE_DB": str(tmp_path / "http.db")},
                )
                assert out.exit_code == 0, out.output
                assert json.loads(out.stdout) == r.json()
            seen_states.append([c["state"] for c in r.json()["owed_to"] + r.json()["consent"]])
    library.close()
    # due date, then the extension, then consent by silence: the story the README tells
    assert seen_states == [["awaiting"], ["extended"], ["consent"]]


def dt(day: str) -> Any:
    import datetime

    return datetime.date.fromisoformat(day)
