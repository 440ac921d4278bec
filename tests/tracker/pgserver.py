"""A throw-away PostgreSQL server in a temporary directory (tests and the benchmark).

``initdb`` and ``pg_ctl`` come from Debian's versioned directory (not on PATH) or PATH.
PostgreSQL refuses to run as root, so as root the server runs as the ``postgres`` user
(created by Debian's package) or ``nobody``, via ``runuser``; the data directory is
chowned to it. It listens on 127.0.0.1 on a free port and on a socket in its directory.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

#: the oldest PostgreSQL the tracker is tested on (Debian 12 ships 15, Debian 13 ships 17)
MIN_MAJOR = 15


def find_bindir() -> Path | None:
    """The directory holding initdb and pg_ctl, newest major version >= 15 first (compared
    as numbers: "9.6" sorts after "17" as a string); None if absent."""
    versioned = [
        (int(Path(d).parent.name), d)
        for d in glob.glob("/usr/lib/postgresql/*/bin")
        if Path(d).parent.name.isdigit() and int(Path(d).parent.name) >= MIN_MAJOR
    ]
    candidates = [d for _, d in sorted(versioned, reverse=True)]
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(str(Path(on_path).parent))
    for c in candidates:
        if (Path(c) / "initdb").exists() and (Path(c) / "pg_ctl").exists():
            return Path(c)
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PgServer:
    def __init__(self, bindir: Path, *, fsync: bool = False) -> None:
        self.bindir = bindir
        self.dir = Path(tempfile.mkdtemp(prefix="quyche-pg-"))
        self.data = self.dir / "data"
        self.port = _free_port()
        self.user: str | None = None
        if os.geteuid() == 0:
            for name in ("postgres", "nobody"):
                try:
                    pw = pwd.getpwnam(name)
                except KeyError:
                    continue
                self.user = name
                os.chown(self.dir, pw.pw_uid, pw.pw_gid)
                break
            else:  # pragma: no cover - every Debian has nobody
                raise RuntimeError("running as root and no unprivileged user to run postgres")
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust",
                  "-E", "UTF8", "--no-sync", "--no-instructions")  # fmt: skip
        self._opts = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.dir} "
            f"-c fsync={'on' if fsync else 'off'} -c max_connections=50"
        )
        self.start()

    def start(self) -> None:
        """Start the server (again, after ``halt``), and wait until it accepts."""
        self._run("pg_ctl", "-D", str(self.data), "-o", self._opts, "-l", str(self.dir / "log"),
                  "-w", "-t", "60", "start")  # fmt: skip
        self._wait()

    def halt(self) -> None:
        """Stop the server, keeping its data (an outage: ``start`` brings it back)."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def _run(self, tool: str, *args: str) -> None:
        cmd = [str(self.bindir / tool), *args]
        if self.user is not None:
            cmd = ["runuser", "-u", self.user, "--", *cmd]
        r = subprocess.run(cmd, capture_output=True, text=True, cwd=self.dir)
        if r.returncode != 0:
            log = (self.dir / "log").read_text() if (self.dir / "log").exists() else ""
            raise RuntimeError(f"{tool} failed: {r.stderr.strip()} {log[-2000:]}")

    def _wait(self) -> None:
        import psycopg

        for _ in range(100):
            try:
                psycopg.connect(self.dsn("postgres")).close()
                return
            except psycopg.OperationalError:
                time.sleep(0.1)
        raise RuntimeError("postgres did not accept connections")

    def dsn(self, db: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{db}"

    def url(self, db: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{db}"

    def new_database(self) -> str:
        """A fresh empty database; returns its SQLAlchemy URL."""
        import psycopg

        name = "t_" + uuid.uuid4().hex[:12]
        with psycopg.connect(self.dsn("postgres"), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)
