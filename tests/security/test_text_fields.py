"""Free text (findings 2 and 4): lone surrogates and control/bidi characters are refused
in every free-text event field, by one rule for the library, the CLI and HTTP, in one line
naming the field; HTTP never answers 500 to them; and what the CLI prints of a stored
reference is escaped anyway (a record from before the rule, or another database)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from quyche_rules.cli.main import app as cli
from quyche_rules.errors import EventError
from quyche_rules.model.event_checks import parse_event
from quyche_rules.tracker import Tracker

from ..service.conftest import Keys
from .conftest import A, D, bearer

HOSTILE = {
    "lone surrogate": "\\ud800",
    "low surrogate": "abc\\udfff",
    "ESC": "\\u001b[2J\\u001b]0;pwned\\u0007",
    "BEL": "x\\u0007",
    "CR": "x\\ry",
    "LF": "x\\ny",
    "NUL": "x\\u0000",
    "RLO": "CV\\u202eFDP.exe",
    "LRI": "\\u2066x",
    "line separator": "\\u2028",
    "C1 CSI": "\\u009b2J",
}


def _request(field: str, json_text: str) -> bytes:
    """A request event whose ``field`` is the JSON string literal body ``json_text``
    (written as JSON escapes, as a hostile client sends them)."""
    base = {"type": "coordination_requested", "date": "2025-03-03", "received_on": "2025-03-03",
            "reference": "1-CV/T", "requester": D, "requested": A}  # fmt: skip
    base.pop(field, None)
    return json.dumps(base)[:-1].encode() + f', "{field}": "{json_text}"}}'.encode()


@pytest.mark.parametrize("name", sorted(HOSTILE))
@pytest.mark.parametrize("field", ["reference", "summary"])
def test_library_refuses_in_one_line_naming_the_field(name: str, field: str) -> None:
    ev = json.loads(_request(field, HOSTILE[name]))
    with pytest.raises(EventError) as err:
        parse_event(ev)
    msg = str(err.value)
    assert msg.startswith(f"{field}: ") and "\n" not in msg
    msg.encode("utf-8")  # printable: the message itself carries no surrogate


def test_in_reply_to_is_free_text_too() -> None:
    ev = {"type": "coordination_answered", "date": "2025-03-04", "requester": D,
          "requested": A, "in_reply_to": "1-CV/T\x1b[31m"}  # fmt: skip
    with pytest.raises(EventError, match=r"^in_reply_to: "):
        parse_event(ev)


def test_ordinary_vietnamese_text_is_kept() -> None:
    text = "Công văn số 12-CV/ĐUK “về việc” phối hợp — tháng 3/2025 (bản 2) 😀"
    ev = parse_event({"type": "coordination_requested", "date": "2025-03-03",
                      "requester": D, "requested": A, "summary": text})  # fmt: skip
    assert ev.summary == text


def _wrap(path: str, event: bytes) -> bytes:
    if path == "/v1/notify/batch":
        return b'{"events": [' + event + b"]}"
    if path == "/v1/explain":
        return b'{"rule_id": "art3.1.request-answer", "event": ' + event + b"}"
    return event


@pytest.mark.parametrize("path", ["/v1/notify", "/v1/notify/batch", "/v1/explain", "/v1/track"])
def test_http_answers_422_never_500(sec_client: TestClient, sec_keys: Keys, path: str) -> None:
    statuses: dict[str, int] = {}
    for name, text in HOSTILE.items():
        for field in ("reference", "summary", "requester"):
            body = _wrap(path, _request(field, text))
            headers = {**bearer(sec_keys.admin), "Content-Type": "application/json"}
            r = sec_client.post(path, content=body, headers=headers)
            statuses[f"{name}/{field}"] = r.status_code
            assert r.status_code == 422, (name, field, r.text)
            detail = r.json()["detail"]
            assert "\n" not in detail and ("reference" in detail or "summary" in detail
                                           or "requester" in detail), detail  # fmt: skip
    print(f"{path}: {len(statuses)} hostile bodies, 0 x 5xx, all 422")


def _stored_with(tmp_path: Path, reference: str) -> tuple[str, str]:
    """A case whose stored reference carries ``reference`` (written under the model's
    rule, as an older version or another tool could have)."""
    db = tmp_path / "t.db"
    with Tracker(db) as t:
        r = t.record({"type": "coordination_requested", "date": "2025-03-03",
                      "received_on": "2025-03-03", "reference": "1-CV/T", "requester": D,
                      "requested": A})  # fmt: skip
        (cid,) = r.opened
        with t.store.engine.begin() as conn:
            conn.execute(sa.text("UPDATE tracker_case_facts SET reference = :r"), {"r": reference})
    return str(db), cid


@pytest.mark.parametrize(
    "evil", ["\x1b[2J\x1b]0;pwned\x07", "CV\u202eFDP", "a\rb\nc", "[link=http://x]y[/link]"]
)
def test_cli_show_and_status_escape_what_they_print(tmp_path: Path, evil: str) -> None:
    db, cid = _stored_with(tmp_path, evil)
    run = CliRunner().invoke
    outs: list[Any] = [
        run(cli, ["track", "show", cid, "--db", db, "--as-of", "2025-03-04"]),
        run(cli, ["track", "status", "--party", A, "--db", db, "--as-of", "2025-03-04"]),
    ]
    for r in outs:
        assert r.exit_code == 0, r.output
        for ch in ("\x1b", "\x07", "\r", "\u202e", "\x9b"):
            assert ch not in r.output
    assert "\\x1b" in outs[0].output or "\\u202e" in outs[0].output or "\\x0d" in outs[0].output \
        or "[link=" in outs[0].output  # fmt: skip
