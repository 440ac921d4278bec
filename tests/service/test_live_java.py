"""`quyche serve` as a real process on 127.0.0.1 (a free port, stopped at teardown), called
by the Java 17 example client (compiled with javac) and by plain HTTP."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from quyche_rules.engine.engine import Engine

from ..live import quyche_serve
from .conftest import ROOT

QUYCHE = str(Path(sys.executable).with_name("quyche"))
CLIENTS = ROOT / "examples" / "clients"


@dataclass
class Live:
    base: str
    key: str
    log: Path
    db: str


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    tmp = tmp_path_factory.mktemp("live")
    db = f"sqlite:///{tmp / 'live.db'}"
    made = subprocess.run(
        [QUYCHE, "keys", "create", "--party", "Ban Tổ chức Tỉnh ủy", "--db", db],
        capture_output=True,
        text=True,
        check=True,
    )
    with quyche_serve("--db", db, log=tmp / "server.log") as served:
        yield Live(served.base, made.stdout.strip(), served.log, db)


def _library(event_file: Path) -> list[dict[str, object]]:
    event = json.loads(event_file.read_text(encoding="utf-8"))
    return [o.model_dump(mode="json") for o in Engine().who_must_be_notified(event)]


def test_live_server_answers_and_logs_as_json(live: Live) -> None:
    event = json.loads((CLIENTS / "event.json").read_text(encoding="utf-8"))
    r = httpx.post(
        f"{live.base}/v1/notify", json=event, headers={"Authorization": f"Bearer {live.key}"}
    )
    assert r.status_code == 200
    assert r.json()["obligations"] == _library(CLIENTS / "event.json")
    assert httpx.get(f"{live.base}/v1/rules").status_code == 401
    time.sleep(0.3)  # let the log line reach the file
    lines = [ln for ln in live.log.read_text().splitlines() if ln.startswith("{")]
    records = [json.loads(ln) for ln in lines]
    assert {"path": "/v1/notify", "status": 200}.items() <= records[-2].items()
    assert live.key not in live.log.read_text()
    assert "Ban Tổ chức" not in live.log.read_text()


def test_java_client_against_live_server(live: Live, tmp_path: Path) -> None:
    assert shutil.which("javac") and shutil.which("java"), "no JDK: run scripts/setup-system"
    subprocess.run(
        ["javac", "-d", str(tmp_path), str(CLIENTS / "QuycheClient.java")],
        check=True,
        capture_output=True,
        timeout=120,
    )
    # the request is recorded in the tracker with `quyche track record` on the server's own
    # database (one database for both), then the Java client asks the status over HTTP
    track = [QUYCHE, "track", "record", str(CLIENTS / "event.json"), "--db", live.db]
    subprocess.run(track, check=True, capture_output=True, timeout=120)
    run = subprocess.run(
        [
            "java",
            "-cp",
            str(tmp_path),
            "QuycheClient",
            live.base,
            live.key,
            str(CLIENTS / "event.json"),
            "2026-02-20",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    first, middle, last = run.stdout.strip().splitlines()
    answer = json.loads(first)
    assert answer["obligations"] == _library(CLIENTS / "event.json")
    assert answer["obligations"][0]["due"] == "2026-03-03"  # after Tết 2026
    assert middle == f"decision {answer['receipt']['decision_id']} in the log: HTTP 200"
    ask = ["--party", "Ban Tổ chức Tỉnh ủy", "--as-of", "2026-02-20", "--json", "--db", live.db]
    cli = subprocess.run(
        [QUYCHE, "track", "status", *ask],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    status = json.loads(last)
    assert status == json.loads(cli.stdout)
    assert [c["due"] for c in status["owes"]] == ["2026-03-03"]
    # and a revoked or wrong key makes the client fail with the server's one-line reason
    bad = subprocess.run(
        [
            "java",
            "-cp",
            str(tmp_path),
            "QuycheClient",
            live.base,
            "nope",
            str(CLIENTS / "event.json"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode == 1
    head, _, body = bad.stderr.strip().partition(" {")
    assert head == "notify: HTTP 401"
    problem = json.loads("{" + body)
    # the client sends no Accept-Language: Vietnamese, the place as it is
    assert problem["detail"] == "Authorization: khóa API không tồn tại hoặc đã bị thu hồi"
    assert problem["type"] == "urn:quyche-rules:problem:unauthorized"
