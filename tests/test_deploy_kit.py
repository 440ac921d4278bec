"""The deployment kit in ``deploy/``, each piece checked by its own tool: the nginx site by
Debian's ``nginx -t``, the systemd unit by ``systemd-analyze verify``, the backup scripts by
restoring a backup (SQLite and PostgreSQL) and finding every row of every table again.
All three tools are installed by ``scripts/setup-system``; a missing one fails the test."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from quyche_rules.engine.engine import Engine
from quyche_rules.io.yamlio import parse_yaml
from quyche_rules.rulebook.loader import Rulebook
from quyche_rules.tracker import Tracker
from tests.tracker.pgserver import PgServer

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
EVENTS = sorted((ROOT / "examples" / "tracker").glob("*.yaml"))


def _tool(name: str) -> str:
    found = shutil.which(name) or next(
        (p for p in (f"/usr/sbin/{name}", f"/usr/bin/{name}") if os.access(p, os.X_OK)), None
    )
    assert found, f"{name} is missing: run scripts/setup-system"
    return found


def test_nginx_site_passes_nginx_t(tmp_path: Path) -> None:
    site = (DEPLOY / "nginx" / "quyche-rules.conf").read_text(encoding="utf-8")
    for directive in ("ssl_certificate ", "client_max_body_size ", "limit_req ",
                      "X-Forwarded-For", "X-Forwarded-Proto", "return 301 https://"):  # fmt: skip
        assert directive in site, directive
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=localhost", "-keyout", tmp_path / "key.pem", "-out", tmp_path / "cert.pem"],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    site = (
        site.replace("/etc/ssl/quyche-rules/fullchain.pem", str(tmp_path / "cert.pem"))
        .replace("/etc/ssl/quyche-rules/privkey.pem", str(tmp_path / "key.pem"))
        .replace("/var/log/nginx/", f"{tmp_path}/")
    )
    (tmp_path / "site.conf").write_text(site, encoding="utf-8")
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n  client_body_temp_path {tmp_path};\n  proxy_temp_path {tmp_path};\n"
        f"  access_log {tmp_path}/access.log;\n  include {tmp_path}/site.conf;\n}}\n",
        encoding="utf-8",
    )
    r = subprocess.run(
        [_tool("nginx"), "-t", "-p", tmp_path, "-c", tmp_path / "nginx.conf",
         "-e", tmp_path / "error.log"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert r.returncode == 0 and "test is successful" in r.stderr, r.stderr


def test_systemd_unit_passes_systemd_analyze_verify(tmp_path: Path) -> None:
    unit = (DEPLOY / "quyche-rules.service").read_text(encoding="utf-8")
    assert "--host 127.0.0.1" in unit and "UMask=0077" in unit and "User=quyche" in unit
    # verify checks that ExecStart exists: point it at this checkout's quyche
    quyche = Path(os.sys.executable).parent / "quyche"
    (tmp_path / "quyche-rules.service").write_text(
        unit.replace("/opt/quyche-rules/venv/bin/quyche", str(quyche)), encoding="utf-8"
    )
    r = subprocess.run(
        [_tool("systemd-analyze"), "verify", tmp_path / "quyche-rules.service"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 0, r.stderr


@pytest.fixture(scope="module")
def engine(book: Rulebook) -> Engine:
    return Engine(book, backend="python")


def _record_examples(db: str, engine: Engine) -> None:
    with Tracker(db, engine=engine) as t:
        for path in EVENTS:
            t.record(parse_yaml(path.read_text(encoding="utf-8"), file=path.name))


def _rows(url: str) -> dict[str, list[tuple[Any, ...]]]:
    engine = sa.create_engine(url)
    try:
        meta = sa.MetaData()
        meta.reflect(engine)
        with engine.connect() as conn:
            return {
                name: sorted(map(tuple, conn.execute(table.select())), key=repr)
                for name, table in meta.tables.items()
            }
    finally:
        engine.dispose()


def _script(name: str, *args: str | Path) -> str:
    env = {**os.environ, "QUYCHE": str(Path(os.sys.executable).parent / "quyche")}
    r = subprocess.run(
        [DEPLOY / name, *map(str, args)], capture_output=True, text=True, timeout=120, env=env
    )
    assert r.returncode == 0, r.stderr
    return r.stdout


def test_sqlite_backup_restores_every_record(tmp_path: Path, engine: Engine) -> None:
    db, backup, restored = tmp_path / "q.db", tmp_path / "q.backup", tmp_path / "restored.db"
    _record_examples(str(db), engine)
    _script("quyche-backup", db, backup)
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600  # data files 0600
    out = _script("quyche-restore", backup, restored)
    assert f"projection rebuilt from {len(EVENTS)} records" in out
    before, after = _rows(f"sqlite:///{db}"), _rows(f"sqlite:///{restored}")
    assert before == after and len(before["tracker_records"]) == len(EVENTS)
    r = subprocess.run(
        [DEPLOY / "quyche-restore", backup, restored], capture_output=True, text=True
    )
    assert r.returncode == 1 and "exists" in r.stderr  # never overwrites


def test_postgresql_backup_restores_every_record(
    tmp_path: Path, engine: Engine, pg_server: PgServer
) -> None:
    source, target = pg_server.new_database(), pg_server.new_database()
    _record_examples(source, engine)
    backup = tmp_path / "q.dump"
    _script("quyche-backup", source, backup)
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    _script("quyche-restore", backup, target)
    before, after = _rows(source), _rows(target)
    assert before == after and len(before["tracker_records"]) == len(EVENTS)
