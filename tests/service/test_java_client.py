"""The typed Java client (``examples/clients/java``): compiled with javac, its models
compared with the OpenAPI document (a drift test: a field renamed, retyped, added or
removed on either side fails it), and its guide's calls run against a live ``quyche
serve`` on 127.0.0.1 — with a low rate limit, so that some calls are answered 429 and
retried after ``Retry-After``, and paging through a status of 1,000 cases.

Without a JDK these tests fail (``scripts/setup-system`` installs one), never skip."""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from quyche_rules.engine.engine import Engine
from quyche_rules.service import Settings, create_app
from quyche_rules.tracker import Tracker

from ..live import quyche_serve
from ..tracker.events import REQUESTED, request
from .conftest import ROOT

QUYCHE = str(Path(sys.executable).with_name("quyche"))
JAVA = ROOT / "examples" / "clients" / "java"
SOURCES = sorted((JAVA / "quyche" / "client").glob("*.java"))
AS_OF = dt.date(2026, 12, 10)
CASES = 1000


@pytest.fixture(scope="module")
def classes(tmp_path_factory: pytest.TempPathFactory) -> Path:
    assert shutil.which("javac") and shutil.which("java"), "no JDK: run scripts/setup-system"
    out = tmp_path_factory.mktemp("java-client")
    done = subprocess.run(
        ["javac", "-Xlint:all", "-Werror", "--release", "17", "-d", str(out),
         *map(str, SOURCES)],
        capture_output=True,
        text=True,
        timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return out


# --- drift: the client's models against the spec's components ----------------------------


@functools.cache
def _spec() -> dict[str, Any]:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(
            Settings(db_url=f"sqlite:///{tmp}/spec.db", rate_per_minute=0, backend="python"),
            engine=Engine(backend="python"),
        )
        spec: dict[str, Any] = app.openapi()
        app.state.services.store.engine.dispose()
        return spec


def _kind(p: dict[str, Any], schemas: dict[str, Any]) -> str:
    """The spec's type of a member, in the words ``Describe.java`` prints for the client."""
    if "anyOf" in p:
        alts = [a for a in p["anyOf"] if a.get("type") != "null"]
        return _kind(alts[0], schemas) if len(alts) == 1 else "any"
    if "$ref" in p:
        name = p["$ref"].rsplit("/", 1)[1]
        target = schemas[name]
        return "string" if target.get("type") == "string" else f"ref:{name}"
    t = p.get("type")
    if t == "string":
        return {"date": "date", "date-time": "date-time"}.get(p.get("format", ""), "string")
    if t in ("integer", "number", "boolean"):
        return str(t)
    if t == "array":
        return f"list<{_kind(p.get('items', {}), schemas)}>"
    if t == "object" and isinstance(p.get("additionalProperties"), dict):
        return f"map<{_kind(p['additionalProperties'], schemas)}>"
    return "any"


def test_the_client_models_match_the_spec(classes: Path) -> None:
    got = subprocess.run(
        ["java", "-cp", str(classes), "quyche.client.Describe"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    client: dict[str, dict[str, str]] = json.loads(got.stdout)
    schemas = _spec()["components"]["schemas"]
    assert len(client) >= 20
    for name, fields in client.items():
        assert name in schemas, f"{name}: no such component in the spec"
        spec = {k: _kind(v, schemas) for k, v in schemas[name]["properties"].items()}
        assert fields == spec, f"{name}: the client and the spec disagree"


def test_the_client_calls_the_spec_operations() -> None:
    """Each ``send("operationId", "METHOD", "/path"…)`` of the client is that operation of
    the spec, and answers the model the client binds it to."""
    source = (JAVA / "quyche" / "client" / "QuycheApi.java").read_text(encoding="utf-8")
    calls = re.findall(
        r'Json\.bind\(send\("(\w+)", "(\w+)", "([^"]+)"[^;]*Models\.(\w+)\.class', source
    )
    calls += [
        (op, method, path, "StatusOut")
        for op, method, path in re.findall(r'Answer a = send\("(\w+)", "(\w+)", "([^"]+)"', source)
    ]
    spec = _spec()
    by_id = {
        op["operationId"]: (method.upper(), path, op)
        for path, ops in spec["paths"].items()
        for method, op in ops.items()
    }
    covered = {c[0] for c in calls}
    assert covered == {"notify", "explain", "recordTrackEvent", "getTrackStatus", "getDecision"}
    for op_id, method, path, model in calls:
        want_method, want_path, op = by_id[op_id]
        assert method == want_method, op_id
        assert want_path.split("{")[0] == path, op_id
        answer = op["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
        assert answer.endswith(f"/{model}"), op_id
    params = {p["name"] for p in by_id["getTrackStatus"][2]["parameters"]}
    assert params == set(re.findall(r'q\.put\("(\w+)"', source))


# --- live: the guide's calls, retried 429s and 1,000 cases paged --------------------------


def _key(db: str, *args: str) -> str:
    made = subprocess.run(
        [QUYCHE, "keys", "create", *args, "--db", db],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return made.stdout.strip()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, str]]:
    """(base URL, the requested body's key, an administrator's key) of a live service whose
    database already holds 1,000 requests to that body, all awaiting an answer on AS_OF.
    Each key may make 60 requests a minute, 12 at once: the client meets 429s."""
    tmp = tmp_path_factory.mktemp("java-live")
    db = f"sqlite:///{tmp / 'live.db'}"
    with Tracker(db, engine=Engine(backend="python")) as t:
        days = [AS_OF - dt.timedelta(days=n % 5) for n in range(CASES)]
        t.record_many([request(f"J{n}-CV", d) for n, d in enumerate(days)])
    key = _key(db, "--party", REQUESTED)
    admin = _key(db, "--admin")
    args = ["--db", db, "--backend", "python", "--rate-per-minute", "60", "--rate-burst", "12"]
    with quyche_serve(*args, log=tmp / "server.log") as served:
        yield served.base, key, admin


def test_the_typed_client_against_a_live_server(
    classes: Path, server: tuple[str, str, str]
) -> None:
    base, key, admin = server
    # empty the key's bucket first, so that the client's calls, faster than the refill of
    # one a second, are refused with 429 and retried whatever the machine's speed
    for _ in range(40):
        r = httpx.get(f"{base}/v1/rules?limit=1", headers={"Authorization": f"Bearer {key}"})
        if r.status_code == 429:
            break
    else:
        pytest.fail("the rate limit never answered 429")
    run = subprocess.run(
        ["java", "-cp", str(classes), "quyche.client.Demo", base, key, AS_OF.isoformat(),
         "J0-CV"],
        capture_output=True,
        text=True,
        timeout=180,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    lines = dict(line.split(" ", 1) for line in run.stdout.strip().splitlines())
    notify = dict(kv.split("=", 1) for kv in lines["notify"].split())
    assert notify["obligated"] == REQUESTED and int(notify["obligations"]) >= 1
    assert dt.date.fromisoformat(notify["due"]) > AS_OF
    assert lines["decision"] == f"{notify['decision']} kind=notify"
    assert lines["explain"] == f"rule={notify['rule']} fired=true quote=true"
    assert lines["track"] == f"created=true sender={REQUESTED} state=answered_on_time"
    # the 1,000 requests less the one just answered, every one once, in order
    whole = httpx.get(
        f"{base}/v1/track/status",
        params={"party": REQUESTED, "as_of": AS_OF.isoformat()},
        headers={"Authorization": f"Bearer {admin}"},
        timeout=60,
    ).json()
    assert len(whole["owes"]) == CASES - 1 == whole["counts"]["owes"]
    assert lines["status"] == f"owes={CASES - 1} paged={CASES - 1} unique=true ordered=true"
    # the bucket was empty: some calls were refused with 429 and retried after Retry-After
    retried = [ln for ln in run.stderr.splitlines() if ": HTTP 429, retry " in ln]
    assert retried, run.stderr
    assert lines["retries"] == f"count={len(retried)}"
    waits = [int(m.group(1)) for ln in retried if (m := re.search(r" in (\d+) ms$", ln))]
    assert len(waits) == len(retried) and all(1000 <= w <= 30_000 for w in waits)
