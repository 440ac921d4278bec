"""Reading a request (finding 8): the key is checked before the body, duplicate JSON keys
are refused over HTTP as by the CLI (422 with a JSON Pointer to the repeated key), and
dates are strict ISO everywhere — event fields (library, CLI, HTTP) and query
parameters alike."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from quyche_rules.cli.main import app as cli
from quyche_rules.errors import EventError
from quyche_rules.io.jsonin import read_json
from quyche_rules.model.event_checks import parse_event

from ..service.conftest import Keys
from .conftest import A, D, bearer

EVENT = {"type": "coordination_requested", "date": "2025-03-03", "received_on": "2025-03-03",
         "reference": "dup-1-CV/T", "requester": D, "requested": A}  # fmt: skip

PATHS = ["/v1/notify", "/v1/notify/batch", "/v1/explain", "/v1/track", "/v1/subscriptions"]


def _with_duplicate(path: str) -> tuple[bytes, str]:
    """A body for ``path`` whose innermost object says ``type`` (or ``url``) twice, and
    the JSON Pointer of the repeated key."""
    ev = json.dumps(EVENT)[:-1] + ', "type": "period_started"}'
    if path == "/v1/notify/batch":
        return f'{{"events": [{json.dumps(EVENT)}, {ev}]}}'.encode(), "/events/1/type"
    if path == "/v1/explain":
        return f'{{"rule_id": "x", "event": {ev}}}'.encode(), "/event/type"
    if path == "/v1/subscriptions":
        return b'{"url": "https://a.example/h", "url": "https://b.example/h"}', "/url"
    return ev.encode(), "/type"


@pytest.mark.parametrize("path", PATHS)
def test_duplicate_keys_are_refused_with_a_pointer(
    sec_client: TestClient, sec_keys: Keys, path: str
) -> None:
    body, pointer = _with_duplicate(path)
    headers = {**bearer(sec_keys.admin), "content-type": "application/json"}
    r = sec_client.post(path, content=body, headers=headers)
    assert r.status_code == 422, r.text
    problem = r.json()
    assert r.headers["content-type"].startswith("application/problem+json")
    assert "\n" not in problem["detail"] and "khoá lặp lại" in problem["detail"]
    assert problem["errors"][0]["pointer"] == pointer
    assert problem["errors"][0]["code"] == "duplicate_key"


def test_keys_equal_once_nfc_normalised_are_duplicates(
    sec_client: TestClient, sec_keys: Keys
) -> None:
    # "Hà" precomposed and decomposed: the CLI's reader normalises keys to NFC first
    body = b'{"H\\u00e0": 1, "Ha\\u0300": 2}'
    with pytest.raises(EventError) as err:
        read_json(body)
    assert err.value.code == "duplicate_key"
    r = sec_client.post("/v1/notify", content=body, headers={**bearer(sec_keys.a),
                        "content-type": "application/json"})  # fmt: skip
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "duplicate_key"


def test_the_cli_refuses_the_same_duplicate(tmp_path: Path) -> None:
    f = tmp_path / "ev.json"
    f.write_bytes(_with_duplicate("/v1/notify")[0])
    out = CliRunner().invoke(cli, ["notify", str(f)])
    assert out.exit_code == 2 and "duplicate key" in out.output


def test_a_valid_body_is_still_read_once_and_answered(
    sec_client: TestClient, sec_keys: Keys
) -> None:
    ev = {**EVENT, "reference": "ok-1-CV/T"}
    r = sec_client.post("/v1/notify", json=ev, headers=bearer(sec_keys.a))
    assert r.status_code == 200, r.text
    r = sec_client.post("/v1/notify", content=b"\xef\xbb\xbf{}", headers={**bearer(sec_keys.a),
                        "content-type": "application/json"})  # fmt: skip
    assert r.status_code == 422  # a byte-order mark: not the UTF-8 JSON the API reads


BAD_BODIES: dict[str, tuple[bytes, dict[str, str]]] = {
    "malformed": (b'{"type": ', {}),
    "duplicate key": (_with_duplicate("/v1/notify")[0], {}),
    "not UTF-8": (b"\xff\xfe{}", {}),
    "invalid event": (b"{}", {}),
    "NaN": (b'{"type": NaN}', {}),
    "oversized": (b"{}", {"content-length": str(10 * 2**20)}),
    "bad Content-Length": (b"{}", {"content-length": "lots"}),
}


@pytest.mark.parametrize("key", ["none", "unknown", "revoked", "not bearer"])
@pytest.mark.parametrize("kind", sorted(BAD_BODIES))
@pytest.mark.parametrize("path", PATHS)
def test_the_key_is_checked_before_the_body(
    sec_client: TestClient, sec_keys: Keys, path: str, kind: str, key: str
) -> None:
    body, extra = BAD_BODIES[kind]
    headers = {"content-type": "application/json", **extra}
    if key == "unknown":
        headers |= bearer(sec_keys.unknown)
    elif key == "revoked":
        headers |= bearer(sec_keys.revoked)
    elif key == "not bearer":
        headers["Authorization"] = f"Basic {sec_keys.a}"
    if kind == "oversized":  # the declared length is a lie: the guard answers first
        r = _raw_post(sec_client, path, body, headers)
    else:
        r = sec_client.post(path, content=body, headers=headers)
    assert r.status_code == 401, (r.status_code, r.text)
    assert r.headers.get("www-authenticate") == "Bearer"


def test_an_oversized_chunked_body_without_a_key_is_401(sec_client: TestClient) -> None:
    def chunks() -> Any:
        for _ in range(40):
            yield b"x" * 8192

    r = sec_client.post("/v1/notify", content=chunks(),
                        headers={"content-type": "application/json"})  # fmt: skip
    assert r.status_code == 401


def test_with_a_valid_key_the_body_errors_are_what_they_were(
    sec_client: TestClient, sec_keys: Keys
) -> None:
    h = {**bearer(sec_keys.a), "content-type": "application/json"}
    assert sec_client.post("/v1/notify", content=b'{"type": ', headers=h).status_code == 422
    assert sec_client.post("/v1/notify", content=b"\xff\xfe", headers=h).status_code == 422
    big = {**h, "content-length": str(10 * 2**20)}
    assert _raw_post(sec_client, "/v1/notify", b"{}", big).status_code == 413


def _raw_post(client: TestClient, path: str, body: bytes, headers: dict[str, str]) -> Any:
    """A POST whose Content-Length header is sent as given (httpx would correct it)."""
    import asyncio

    app = client.app
    scope = {"type": "http", "method": "POST", "path": path, "raw_path": path.encode(),
             "query_string": b"", "root_path": "", "scheme": "http", "http_version": "1.1",
             "server": ("testserver", 80), "client": ("127.0.0.1", 1),
             "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()]}  # fmt: skip
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))  # type: ignore[arg-type]
    start = next(m for m in sent if m["type"] == "http.response.start")

    return SimpleNamespace(
        status_code=start["status"],
        headers={k.decode(): v.decode() for k, v in start["headers"]},
        text=b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body"),
    )


# --- strict dates ----------------------------------------------------------------------------

BAD_DATES: dict[str, Any] = {
    "leading space": " 2025-03-03",
    "trailing space": "2025-03-03 ",
    "compact": "20250303",
    "integer": 20250303,
    "timestamp": 1741000000,
    "float": 1741000000.0,
    "boolean": True,
    "date-time": "2025-03-03T00:00:00",
}


@pytest.mark.parametrize("name", sorted(BAD_DATES))
def test_event_dates_are_strict_in_the_library(name: str) -> None:
    with pytest.raises(EventError) as err:
        parse_event({**EVENT, "date": BAD_DATES[name]})
    assert err.value.field == "date" and "\n" not in str(err.value)


@pytest.mark.parametrize("name", sorted(BAD_DATES))
def test_event_dates_are_strict_over_http(
    sec_client: TestClient, sec_keys: Keys, name: str
) -> None:
    r = sec_client.post("/v1/notify", json={**EVENT, "received_on": BAD_DATES[name]},
                        headers=bearer(sec_keys.a))  # fmt: skip
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["pointer"] == "/received_on"


@pytest.mark.parametrize("value", [" 2025-03-05", "2025-03-05 ", "20250305", "1741000000", "1"])
@pytest.mark.parametrize(
    ("path", "param"),
    [("/v1/track/status", "as_of"), ("/v1/deadline", "received"), ("/v1/decisions", "from")],
)
def test_query_dates_are_strict(
    sec_client: TestClient, sec_keys: Keys, path: str, param: str, value: str
) -> None:
    r = sec_client.get(path, params={param: value}, headers=bearer(sec_keys.admin))
    assert r.status_code == 422, r.text
    problem = r.json()
    assert problem["errors"][0]["parameter"] == param and "\n" not in problem["detail"]
    ok = sec_client.get(path, params={param: "2025-03-05"}, headers=bearer(sec_keys.admin))
    assert ok.status_code == 200, ok.text


@pytest.mark.parametrize("value", [" 2025-03-05", "20250305"])
def test_cli_date_options_are_strict(tmp_path: Path, value: str) -> None:
    db = str(tmp_path / "t.db")
    out = CliRunner().invoke(cli, ["track", "status", "--db", db, "--as-of", value])
    assert out.exit_code == 2 and "--as-of" in out.output
    out = CliRunner().invoke(cli, ["deadline", value])
    assert out.exit_code == 2 and "RECEIVED" in out.output
