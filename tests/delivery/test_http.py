"""Delivery and audit over HTTP, on a real service and SQLite file: the calendar feed by
URL only (parsed by icalendar), subscriptions, deliveries and the decision listing, each
with who may see what."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from icalendar import Calendar

from quyche_rules.delivery.feeds import create_token, revoke_token
from quyche_rules.engine.engine import Engine
from quyche_rules.service import Settings, create_app
from quyche_rules.service.auth import new_key

from ..tracker.events import REQUESTED, REQUESTER, correction, extension, request


class Keys:
    def __init__(self, app: FastAPI) -> None:
        store = app.state.services.store
        self.admin = new_key(store, party=None, admin=True)[0]
        self.requester = new_key(store, party=REQUESTER, admin=False)[0]
        self.requested = new_key(store, party=REQUESTED, admin=False)[0]

    @staticmethod
    def h(key: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {key}"}


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory, book: Any) -> FastAPI:
    db = tmp_path_factory.mktemp("delivery-http") / "service.db"
    settings = Settings(db_url=f"sqlite:///{db}", rate_per_minute=0, backend="python")
    return create_app(settings, engine=Engine(book, backend="python"))


@pytest.fixture(scope="module")
def keys(app: FastAPI) -> Keys:
    return Keys(app)


@pytest.fixture(scope="module")
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as c:
        yield c


def events(cal_bytes: bytes) -> list[Any]:
    return list(Calendar.from_ical(cal_bytes).walk("VEVENT"))


def test_calendar_by_url_only_and_an_update_raises_sequence(
    app: FastAPI, client: TestClient, keys: Keys
) -> None:
    today = app.state.services.tracker.today()
    r = client.post("/v1/track", json=request("77-CV/ĐUK", today), headers=keys.h(keys.requester))
    assert r.status_code == 200, r.text
    token, rec = create_token(app.state.services.store.engine, REQUESTED, "văn thư")
    url = f"/v1/calendar/{REQUESTED}.ics?token={token}"
    r = client.get(url)  # no Authorization header: a calendar application's request
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/calendar")
    (ev,) = events(r.content)
    uid, seq, due = str(ev["uid"]), int(ev["sequence"]), ev["dtstart"].dt
    assert [str(a["action"]) for a in ev.walk("VALARM")] == ["DISPLAY"]
    assert "Hạn trả lời 77-CV/ĐUK" in str(ev["summary"])
    # the requested body asks for more time: the same event moves, with a higher SEQUENCE
    later = due + dt.timedelta(days=10)
    ext = extension("77-CV/ĐUK", today, later)
    r = client.post("/v1/track", json=ext, headers=keys.h(keys.requested))
    assert r.status_code == 200, r.text
    (ev2,) = events(client.get(url).content)
    assert str(ev2["uid"]) == uid and int(ev2["sequence"]) > seq and ev2["dtstart"].dt == later
    # a token opens one body's feed only; a wrong or revoked token is 404
    assert client.get(f"/v1/calendar/{REQUESTER}.ics?token={token}").status_code == 404
    assert client.get(f"/v1/calendar/{REQUESTED}.ics?token=qcf_x_y").status_code == 404
    assert client.get(f"/v1/calendar/{REQUESTED}.ics").status_code == 422
    revoke_token(app.state.services.store.engine, rec.token_id)
    assert client.get(url).status_code == 404


def test_a_corrected_receipt_updates_the_same_calendar_event(
    app: FastAPI, client: TestClient, keys: Keys
) -> None:
    """Recorded as received three days ago, in fact received yesterday: the feed keeps the
    event (same UID), raises its SEQUENCE and moves it to the due date counted again."""
    today = app.state.services.tracker.today()
    sent = today - dt.timedelta(days=3)
    r = client.post("/v1/track", json=request("78-CV/ĐUK", sent), headers=keys.h(keys.requester))
    assert r.status_code == 200, r.text
    token, _ = create_token(app.state.services.store.engine, REQUESTED, "văn thư")
    url = f"/v1/calendar/{REQUESTED}.ics?token={token}"

    def event() -> Any:
        (ev,) = [e for e in events(client.get(url).content) if "78-CV" in str(e["summary"])]
        return ev

    ev = event()
    fix = correction("78-CV/ĐUK", today, today - dt.timedelta(days=1))
    r = client.post("/v1/track", json=fix, headers=keys.h(keys.requester))
    assert r.status_code == 200, r.text
    assert [c["change"] for c in r.json()["changes"]] == ["receipt_corrected"]
    ev2 = event()
    assert str(ev2["uid"]) == str(ev["uid"])
    assert int(ev2["sequence"]) == int(ev["sequence"]) + 1
    assert ev2["dtstart"].dt > ev["dtstart"].dt
    assert ev2["dtstart"].dt == app.state.services.tracker.case(str(ev["uid"]).split("@")[0]).due


def test_subscriptions_belong_to_their_body(client: TestClient, keys: Keys) -> None:
    body = {"url": "http://127.0.0.1:9/hook", "remind_days": 3}
    r = client.post("/v1/subscriptions", json=body, headers=keys.h(keys.requested))
    assert r.status_code == 201, r.text
    sub = r.json()
    assert sub["party"] == REQUESTED and sub["secret"].startswith("whsec_")
    other = {**body, "party": REQUESTER}
    r = client.post("/v1/subscriptions", json=other, headers=keys.h(keys.requested))
    assert r.status_code == 403
    r = client.post("/v1/subscriptions", json=body, headers=keys.h(keys.admin))
    assert r.status_code == 422 and r.json()["detail"].startswith("party:")
    r = client.post("/v1/subscriptions", json={**body, "url": "ftp://x"},
                    headers=keys.h(keys.requested))  # fmt: skip
    assert r.status_code == 422 and r.json()["detail"].startswith("url:")
    listed = client.get("/v1/subscriptions", headers=keys.h(keys.requested)).json()
    assert [s["id"] for s in listed] == [sub["id"]] and "secret" not in listed[0]
    assert client.get("/v1/subscriptions", headers=keys.h(keys.requester)).json() == []
    r = client.delete(f"/v1/subscriptions/{sub['id']}", headers=keys.h(keys.requester))
    assert r.status_code == 404
    r = client.delete(f"/v1/subscriptions/{sub['id']}", headers=keys.h(keys.requested))
    assert r.status_code == 204


def test_deliveries_are_for_administrators(client: TestClient, keys: Keys) -> None:
    assert client.get("/v1/deliveries", headers=keys.h(keys.requested)).status_code == 403
    r = client.get("/v1/deliveries", headers=keys.h(keys.admin))
    assert r.status_code == 200 and set(r.json()["counts"]) == {"pending", "delivered", "dead"}


def test_decisions_listing_by_body_and_cursor(client: TestClient, keys: Keys) -> None:
    for i in range(3):
        ev = request(f"{i}-NT", "2026-01-05")
        assert client.post("/v1/notify", json=ev, headers=keys.h(keys.requester)).status_code == 200
    mine = client.get("/v1/decisions?limit=2", headers=keys.h(keys.requester)).json()
    assert len(mine["items"]) == 2 and mine["next_cursor"]
    rest = client.get(f"/v1/decisions?cursor={mine['next_cursor']}",
                      headers=keys.h(keys.requester)).json()  # fmt: skip
    ids = [d["decision_id"] for d in mine["items"] + rest["items"]]
    assert len(ids) == len(set(ids)) >= 3
    assert all(REQUESTER in d["parties"] for d in mine["items"] + rest["items"])
    r = client.get("/v1/decisions?body=ban_tuyen_giao_tinh_uy", headers=keys.h(keys.requester))
    assert r.status_code == 403
    r = client.get("/v1/decisions?unmasked=true", headers=keys.h(keys.requester))
    assert r.status_code == 403
    r = client.get("/v1/decisions?cursor=nonsense", headers=keys.h(keys.admin))
    assert r.status_code == 400 and r.json()["detail"].startswith("cursor:")
    everything = client.get("/v1/decisions?limit=500", headers=keys.h(keys.admin)).json()
    assert len(everything["items"]) >= len(ids) and everything["next_cursor"] is None


def test_the_live_service_log_verifies(app: FastAPI) -> None:
    from quyche_rules.delivery.audit import verify

    v = verify(app.state.services.store.engine)
    assert v.ok and v.links > 0, v


def test_a_record_over_http_queues_its_messages(client: TestClient, keys: Keys) -> None:
    body = {"url": "http://127.0.0.1:9/hook", "kinds": ["obligation.new"]}
    r = client.post("/v1/subscriptions", json=body, headers=keys.h(keys.requested))
    assert r.status_code == 201
    before = client.get("/v1/deliveries", headers=keys.h(keys.admin)).json()["counts"]
    ev = request("88-CV/ĐUK", "2026-01-05")
    assert client.post("/v1/track", json=ev, headers=keys.h(keys.requester)).status_code == 200
    got = client.get("/v1/deliveries?status=pending", headers=keys.h(keys.admin)).json()
    assert got["counts"]["pending"] == before["pending"] + 1
    assert got["items"][0]["kind"] == "obligation.new" and "payload" not in got["items"][0]


def test_metrics_show_the_outbox_depth(client: TestClient, keys: Keys, app: FastAPI) -> None:
    """``/metrics`` gauges pending and dead messages, the same numbers as the admin
    listing, parsed by prometheus_client's own parser."""
    import sqlalchemy as sa
    from prometheus_client.parser import text_string_to_metric_families

    from quyche_rules.db.delivery_tables import outbox

    body = {"url": "http://127.0.0.1:9/hook", "kinds": ["obligation.new"]}
    client.post("/v1/subscriptions", json=body, headers=keys.h(keys.requested))
    for n in range(2):
        ev = request(f"9{n}-CV/ĐUK", "2026-01-06")
        assert client.post("/v1/track", json=ev, headers=keys.h(keys.requester)).status_code == 200
    db = app.state.services.store.engine
    with db.begin() as conn:  # one message given up on, as the worker would after its tries
        first = conn.execute(
            sa.select(outbox.c.message_id).where(outbox.c.status == "pending").limit(1)
        ).scalar_one()
        conn.execute(outbox.update().where(outbox.c.message_id == first).values(status="dead"))

    def depth() -> dict[str, float]:
        text = client.get("/metrics").text
        return {
            s.labels["status"]: s.value
            for fam in text_string_to_metric_families(text)
            if fam.name == "quyche_outbox_messages"
            for s in fam.samples
        }

    counts = client.get("/v1/deliveries", headers=keys.h(keys.admin)).json()["counts"]
    assert counts["dead"] >= 1 and counts["pending"] >= 1
    assert depth() == {"pending": counts["pending"], "dead": counts["dead"]}
    ev = request("99-CV/ĐUK", "2026-01-07")
    assert client.post("/v1/track", json=ev, headers=keys.h(keys.requester)).status_code == 200
    after = client.get("/v1/deliveries", headers=keys.h(keys.admin)).json()["counts"]
    assert after["pending"] > counts["pending"]  # read at scrape time, never stale
    assert depth() == {"pending": after["pending"], "dead": after["dead"]}
