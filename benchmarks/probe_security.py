"""A bounded re-run of the security probe: hostile HTTP input, schemathesis, faults.

Prints, per part and in total, the counts the service promises are zero:

* **5xx**: answers 500-599 (a 503 counts only where no outage was caused: while the
  database is down, 503 is the promised answer and is counted apart);
* **wrong status class**: an answer of another class than the one the input calls for
  (a hostile body answered 2xx, a bad key answered 4xx other than 401, a status the
  OpenAPI document does not declare for the operation);
* **dropped connections**: a reset or a timeout instead of an answer;
* **lost acknowledged records**: a ``POST /v1/track`` answered 200 whose record is not in
  the database afterwards (after a SIGKILL of the server, after PostgreSQL was stopped).

Parts (each bounded in count and time):

1. hostile bodies and parameters against a live server on SQLite (every POST endpoint ×
   lone surrogates, control and bidi characters, duplicate keys, malformed, deep,
   oversized, wrong types, loose dates, foreign disagreements, missing or bad keys);
2. schemathesis, positive and negative generation, every operation, with an
   administrator's key;
3. faults: ``quyche serve`` killed with SIGKILL under four concurrent writers; a
   corrupted SQLite file under a running server; PostgreSQL stopped and restarted under a
   ``--load-seconds`` load (default 30).

Also prints the bytes one decision takes in the log, compact and with
``--store-full-input``.

Run: ``.venv/bin/python benchmarks/probe_security.py`` (about 2 minutes on 2 cores).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from quyche_rules.engine.engine import Engine  # noqa: E402
from quyche_rules.service import Settings, create_app  # noqa: E402
from quyche_rules.service.auth import new_key  # noqa: E402
from tests.security.live import free_port, serving  # noqa: E402
from tests.tracker.pgserver import PgServer, find_bindir  # noqa: E402

D, A, B = "dang_uy_khoi", "ban_to_chuc_tinh_uy", "ban_noi_chinh_tinh_uy"
EXE = str(Path(sys.executable).parent / "quyche")


class Tally:
    def __init__(self, name: str) -> None:
        self.name = name
        self.requests = 0
        self.server_errors = 0
        self.wrong_class = 0
        self.dropped = 0
        self.lost = 0
        self.outage_503 = 0
        self.examples: list[str] = []

    def note(self, what: str) -> None:
        if len(self.examples) < 5:
            self.examples.append(what[:300])

    def line(self) -> str:
        extra = f", 503 while down {self.outage_503}" if self.outage_503 else ""
        return (
            f"{self.name:<28} requests {self.requests:>6}  5xx {self.server_errors}  "
            f"wrong status class {self.wrong_class}  dropped {self.dropped}  "
            f"lost acknowledged {self.lost}{extra}"
        )


def event(**extra: Any) -> dict[str, Any]:
    return {"type": "coordination_requested", "date": "2025-03-03", "received_on": "2025-03-03",
            "reference": f"{uuid.uuid4().hex[:12]}-CV/T", "requester": D, "requested": A,
            **extra}  # fmt: skip


# --- 1. hostile input -------------------------------------------------------------------------


def hostile_cases(keys: dict[str, str]) -> list[tuple[str, str, str, dict[str, str], bytes, int]]:
    """(name, method, path, headers, body, expected status)."""
    ok = {"Authorization": f"Bearer {keys['d']}", "content-type": "application/json"}
    out: list[tuple[str, str, str, dict[str, str], bytes, int]] = []
    bodies: dict[str, Callable[[bytes], bytes]] = {
        "/v1/notify": lambda ev: ev,
        "/v1/track": lambda ev: ev,
        "/v1/notify/batch": lambda ev: b'{"events": [' + ev + b"]}",
        "/v1/explain": lambda ev: b'{"rule_id": "dieu-3-1-tra-loi", "event": ' + ev + b"}",
    }
    texts = {"surrogate": "\\ud800", "low surrogate": "x\\udfff", "ESC": "\\u001b[2J",
             "BEL": "\\u0007", "CR LF": "a\\r\\nb", "NUL": "\\u0000", "RLO": "\\u202e",
             "C1": "\\u009b"}  # fmt: skip
    for path, wrap in bodies.items():
        for field in ("reference", "summary"):
            for name, lit in texts.items():
                base = json.dumps({k: v for k, v in event().items() if k != field})
                ev = (base[:-1] + f', "{field}": "{lit}"}}').encode()
                out.append((f"{path} {field} {name}", "POST", path, ok, wrap(ev), 422))
        dup = json.dumps(event())[:-1].encode() + b', "type": "period_started"}'
        out.append((f"{path} duplicate key", "POST", path, ok, wrap(dup), 422))
        for name, day in {"spaces": " 2025-03-03", "int": 20250303, "bool": True,
                          "compact": "20250303"}.items():  # fmt: skip
            ev = json.dumps(event(date=day)).encode()
            out.append((f"{path} date {name}", "POST", path, ok, wrap(ev), 422))
        out.append((f"{path} malformed", "POST", path, ok, b'{"type": ', 422))
        out.append((f"{path} deep", "POST", path, ok, b"[" * 5000 + b"]" * 5000, 422))
        out.append((f"{path} number", "POST", path, ok, b'{"type": 1e999999}', 422))
        out.append((f"{path} not utf-8", "POST", path, ok, b"\xff\xfe{\x00}", 422))
        out.append((f"{path} oversized", "POST", path, ok, b"[" + b"1," * 200_000 + b"1]", 413))
        text = {**ok, "content-type": "text/plain"}
        out.append((f"{path} text/plain", "POST", path, text, json.dumps(event()).encode(), 415))
        who_keys = {
            "no key": {"content-type": "application/json"},
            "bad key": {**ok, "Authorization": "Bearer qk_0badc0de_" + "x" * 43},
            "garbage key": {**ok, "Authorization": "Bearer qk_zz; DROP TABLE"},
        }
        for who, h in who_keys.items():
            for name, body in {"valid": json.dumps(event()).encode(), "malformed": b"{",
                               "duplicate": dup, "oversized": b"x" * 300_000}.items():  # fmt: skip
                out.append((f"{path} {who} {name}", "POST", path, h, body, 401))
    foreign = {"type": "coordination_disagreement", "date": "2025-03-04", "lead_party": B,
               "other_parties": [D, A], "in_reply_to": "{ref}"}  # fmt: skip
    b_key = {"Authorization": f"Bearer {keys['b']}", "content-type": "application/json"}
    out.append(("foreign disagreement", "POST", "/v1/track", b_key,
                json.dumps(foreign).encode(), 403))  # fmt: skip
    get = {"Authorization": f"Bearer {keys['d']}"}
    for value in (" 2025-03-05", "1", "1741000000", "2025-3-5", "true"):
        out.append((f"as_of {value!r}", "GET", f"/v1/track/status?as_of={value}", get, b"", 422))
    out.append(("case of another body", "GET", "/v1/track/cases/c0123456789abcde", get, b"", 404))
    return out


def run_hostile(base: str, keys: dict[str, str], rounds: int) -> Tally:
    t = Tally("1. hostile input")
    # a case of D's for the foreign disagreement to aim at
    ref = f"{uuid.uuid4().hex[:10]}-CV/T"
    opened = httpx.post(f"{base}/v1/track", json={**event(), "reference": ref},
                        headers={"Authorization": f"Bearer {keys['d']}"}, timeout=30)  # fmt: skip
    assert opened.status_code == 200, opened.text
    cases = hostile_cases(keys)
    with httpx.Client(base_url=base, timeout=30) as c:
        for _ in range(rounds):
            for name, method, path, headers, body, expected in cases:
                body = body.replace(b"{ref}", ref.encode())
                t.requests += 1
                try:
                    r = c.request(method, path, content=body or None, headers=headers)
                except httpx.HTTPError as exc:
                    t.dropped += 1
                    t.note(f"{name}: {type(exc).__name__}")
                    continue
                if r.status_code >= 500:
                    t.server_errors += 1
                    t.note(f"{name}: {r.status_code}")
                elif r.status_code // 100 != expected // 100 or (
                    expected in (401, 403) and r.status_code != expected
                ):
                    t.wrong_class += 1
                    t.note(f"{name}: {r.status_code}, expected {expected}: {r.text[:120]}")
    return t


# --- 2. schemathesis --------------------------------------------------------------------------


def run_schemathesis(base: str, admin: str, examples: int) -> Tally:
    import schemathesis
    from hypothesis import HealthCheck, Phase, given, settings
    from schemathesis.generation import GenerationMode
    from schemathesis.specs.openapi.checks import status_code_conformance

    t = Tally("2. schemathesis")
    schema = schemathesis.openapi.from_url(f"{base}/openapi.json")
    headers = {"Authorization": f"Bearer {admin}"}
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
        for result in schema.get_all_operations():
            op = result.ok()

            @settings(max_examples=examples, deadline=None, database=None,
                      phases=[Phase.generate], suppress_health_check=list(HealthCheck))  # fmt: skip
            @given(case=op.as_strategy(generation_mode=mode))
            def one(case: Any) -> None:
                t.requests += 1
                try:
                    r = case.call(headers=headers, timeout=30)
                except Exception as exc:  # a reset or a timeout
                    t.dropped += 1
                    t.note(f"{case.method} {case.path}: {type(exc).__name__}")
                    return
                if r.status_code >= 500:
                    t.server_errors += 1
                    t.note(f"{case.method} {case.formatted_path}: {r.status_code}")
                    return
                try:
                    case.validate_response(r, checks=[status_code_conformance])
                except Exception:
                    t.wrong_class += 1
                    t.note(f"{case.method} {case.formatted_path}: undeclared {r.status_code}")

            try:
                one()
            except Exception as exc:  # hypothesis could not generate: not a finding
                t.note(f"{op.label}: generation stopped ({type(exc).__name__})")
    return t


# --- 3. faults --------------------------------------------------------------------------------


def _stored(url: str) -> set[str]:
    eng = sa.create_engine(url)
    with eng.connect() as conn:
        refs = set(conn.execute(sa.text("SELECT reference FROM tracker_records")).scalars())
    eng.dispose()
    return {r for r in refs if r}


def _load(base: str, key: str, seconds: float, t: Tally, phase: Callable[[], str],
          acked: list[str], workers: int = 4) -> None:  # fmt: skip
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def worker() -> None:
        with httpx.Client(base_url=base, timeout=10) as c:
            while time.monotonic() < stop:
                ev = event()
                before = phase()
                try:
                    r = c.post("/v1/track", json=ev, headers={"Authorization": f"Bearer {key}"})
                except httpx.HTTPError as exc:
                    # the phase when the request ended counts: a kill or a stop during it
                    now = phase()
                    with lock:
                        t.requests += 1
                        if now != "killed":
                            t.dropped += 1
                            t.note(f"{now}: {type(exc).__name__}")
                    if now == "killed":
                        return
                    continue
                after = phase()
                # a request that overlapped the stop or the restart met the outage
                now = "down" if "down" in (before, after) or before != after else after
                with lock:
                    t.requests += 1
                    if r.status_code == 200:
                        acked.append(ev["reference"])
                    elif r.status_code == 503 and now == "down":
                        t.outage_503 += 1
                        if "retry-after" not in r.headers:
                            t.wrong_class += 1
                            t.note("503 without Retry-After")
                    elif r.status_code >= 500:
                        t.server_errors += 1
                        t.note(f"{now}: {r.status_code} {r.text[:100]}")
                    else:
                        t.wrong_class += 1
                        t.note(f"{now}: {r.status_code} {r.text[:100]}")
                time.sleep(0.005)

    threads = [threading.Thread(target=worker) for _ in range(workers)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()


def run_sigkill(tmp: Path, seconds: float) -> Tally:
    t = Tally("3a. SIGKILL under writes")
    db = tmp / "kill.db"
    engine = Engine()
    app = create_app(Settings(db_url=str(db), rate_per_minute=0), engine=engine)
    key, _ = new_key(app.state.services.store, party=D, admin=False)
    app.state.services.store.engine.dispose()
    port = free_port()
    env = dict(os.environ)
    proc = subprocess.Popen([EXE, "serve", "--db", str(db), "--port", str(port),
                             "--rate-per-minute", "0"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.1)
    state = {"phase": "up"}
    acked: list[str] = []

    def killer() -> None:
        time.sleep(seconds)
        state["phase"] = "killed"
        proc.send_signal(signal.SIGKILL)

    k = threading.Thread(target=killer)
    k.start()
    _load(base, key, seconds + 3, t, lambda: state["phase"], acked)
    k.join()
    proc.wait()
    stored = _stored(f"sqlite:///{db}")
    t.lost = len([r for r in acked if r not in stored])
    t.note(f"acknowledged {len(acked)}, stored {len(stored)}")
    return t


def run_corrupt(tmp: Path, engine: Engine) -> Tally:
    t = Tally("3b. corrupt SQLite file")
    db = tmp / "corrupt.db"
    app = create_app(Settings(db_url=str(db), rate_per_minute=0), engine=engine)
    key, _ = new_key(app.state.services.store, party=D, admin=False)
    h = {"Authorization": f"Bearer {key}"}
    with serving(app) as (host, port), httpx.Client(base_url=f"http://{host}:{port}") as c:
        for _ in range(30):
            assert c.post("/v1/track", json=event(), headers=h).status_code == 200
        app.state.services.store.engine.dispose()
        size = db.stat().st_size
        with open(db, "r+b") as f:  # overwrite everything after the header with noise
            f.seek(100)
            f.write(os.urandom(size - 100))
        wal = Path(f"{db}-wal")
        if wal.exists():
            wal.write_bytes(os.urandom(wal.stat().st_size))
        for path in ("/v1/track", "/v1/notify", "/v1/track/status", "/readyz"):
            for _ in range(5):
                t.requests += 1
                try:
                    if path in ("/v1/track", "/v1/notify"):
                        r = c.post(path, json=event(), headers=h)
                    else:
                        r = c.get(path, headers=h)
                except httpx.HTTPError as exc:
                    t.dropped += 1
                    t.note(f"{path}: {type(exc).__name__}")
                    continue
                if r.status_code == 503:
                    t.outage_503 += 1
                elif r.status_code >= 500:
                    t.server_errors += 1
                    t.note(f"{path}: {r.status_code}")
                elif r.status_code == 200 and path == "/readyz":
                    t.wrong_class += 1
                    t.note("/readyz said 200 on a corrupt file")
    return t


def run_postgres(engine: Engine, seconds: float) -> Tally:
    t = Tally("3c. PostgreSQL stopped")
    bindir = find_bindir()
    if bindir is None:
        raise SystemExit("PostgreSQL (initdb, pg_ctl) is required")
    pg = PgServer(bindir)
    try:
        url = pg.new_database()
        app = create_app(Settings(db_url=url, rate_per_minute=0), engine=engine)
        key, _ = new_key(app.state.services.store, party=D, admin=False)
        state = {"phase": "up"}
        acked: list[str] = []

        def outage() -> None:
            time.sleep(seconds * 0.3)
            state["phase"] = "down"
            pg.halt()
            time.sleep(seconds * 0.3)
            pg.start()
            state["phase"] = "back"

        with serving(app) as (host, port):
            o = threading.Thread(target=outage)
            o.start()
            _load(f"http://{host}:{port}", key, seconds, t, lambda: state["phase"], acked)
            o.join()
            back = httpx.post(f"http://{host}:{port}/v1/track", json=event(),
                              headers={"Authorization": f"Bearer {key}"}, timeout=30)  # fmt: skip
            if back.status_code != 200:
                t.wrong_class += 1
                t.note(f"after the restart: {back.status_code}")
        stored = _stored(url)
        t.lost = len([r for r in acked if r not in stored])
        t.note(f"acknowledged {len(acked)}")
    finally:
        pg.stop()
    return t


# --- bytes per decision -----------------------------------------------------------------------


def bytes_per_decision(tmp: Path, engine: Engine) -> None:
    from fastapi.testclient import TestClient

    summary = "Đề nghị Ban Tổ chức cho ý kiến về dự thảo quy chế, hạn trả lời 7 ngày làm việc. " * 3
    for label, full in (("compact (default)", False), ("--store-full-input", True)):
        db = tmp / f"bytes-{full}.db"
        app = create_app(Settings(db_url=str(db), rate_per_minute=0, store_full_input=full),
                         engine=engine)  # fmt: skip
        key, _ = new_key(app.state.services.store, party=D, admin=False)
        with TestClient(app) as c:
            for path in ("/v1/notify", "/v1/track"):
                for _ in range(20):
                    r = c.post(path, json=event(summary=summary),
                               headers={"Authorization": f"Bearer {key}"})  # fmt: skip
                    assert r.status_code == 200, r.text
        with app.state.services.store.engine.connect() as conn:
            rows = conn.execute(sa.text(
                "SELECT kind, length(CAST(input AS BLOB)), length(CAST(result AS BLOB)) + "
                "length(CAST(receipt AS BLOB)) + length(CAST(parties AS BLOB)) + 100 "
                "FROM service_decisions")).all()  # fmt: skip
        for kind in ("notify", "track"):
            mine = [(i, rest) for k, i, rest in rows if k == kind]
            inp = sum(i for i, _ in mine) / len(mine)
            whole = sum(i + rest for i, rest in mine) / len(mine)
            print(f"bytes per decision, {kind:<6} {label:<20} input {inp:6.0f}  row {whole:6.0f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3, help="passes over the hostile corpus")
    ap.add_argument("--examples", type=int, default=15, help="schemathesis cases per operation")
    ap.add_argument("--kill-seconds", type=float, default=4.0)
    ap.add_argument("--load-seconds", type=float, default=30.0)
    args = ap.parse_args()
    # the service logs one warning per refused request while the database is away: the
    # counts below say it better
    logging.getLogger("quyche.service").setLevel(logging.ERROR)
    engine = Engine()
    tallies: list[Tally] = []
    with tempfile.TemporaryDirectory(prefix="quyche-probe-") as d:
        tmp = Path(d)
        app = create_app(Settings(db_url=str(tmp / "probe.db"), rate_per_minute=0,
                                  decisions_per_day=0), engine=engine)  # fmt: skip
        store = app.state.services.store
        keys = {"d": new_key(store, party=D, admin=False)[0],
                "b": new_key(store, party=B, admin=False)[0],
                "admin": new_key(store, party=None, admin=True)[0]}  # fmt: skip
        with serving(app) as (host, port):
            base = f"http://{host}:{port}"
            started = time.monotonic()
            tallies.append(run_hostile(base, keys, args.rounds))
            print(tallies[-1].line(), f"({time.monotonic() - started:.0f} s)", flush=True)
            started = time.monotonic()
            tallies.append(run_schemathesis(base, keys["admin"], args.examples))
            print(tallies[-1].line(), f"({time.monotonic() - started:.0f} s)", flush=True)
        for run in (lambda: run_sigkill(tmp, args.kill_seconds), lambda: run_corrupt(tmp, engine),
                    lambda: run_postgres(engine, args.load_seconds)):  # fmt: skip
            started = time.monotonic()
            tallies.append(run())
            print(tallies[-1].line(), f"({time.monotonic() - started:.0f} s)", flush=True)
        bytes_per_decision(tmp, engine)
    total = Tally("TOTAL")
    for t in tallies:
        for f in ("requests", "server_errors", "wrong_class", "dropped", "lost", "outage_503"):
            setattr(total, f, getattr(total, f) + getattr(t, f))
        for e in t.examples:
            print(f"  {t.name}: {e}")
    print(total.line())


if __name__ == "__main__":
    main()
