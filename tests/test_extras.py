"""The core embeds without the server stack; a missing extra is named in one line.

Each check runs in its own interpreter: ``sys.modules`` of the test process has everything.
A missing extra is simulated by ``sys.modules[name] = None`` (import then raises
``ModuleNotFoundError`` exactly as when the distribution is absent).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("fastapi", "starlette", "uvicorn", "sqlalchemy", "alembic", "typer", "rich", "jinja2")


def _python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT
    )


def test_who_must_be_notified_imports_no_server_or_cli_library() -> None:
    code = (
        "import sys, json, quyche_rules as q\n"
        "obs = q.who_must_be_notified({'type': 'coordination_requested', 'date': '2025-01-23',"
        " 'requester': 'Đảng ủy Khối', 'requested': 'Ban Nội chính Tỉnh ủy',"
        " 'received_on': '2025-01-24'})\n"
        f"heavy = sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r})\n"
        "print(json.dumps([obs[0].due.isoformat(), heavy]))\n"
    )
    r = _python(code)
    assert r.returncode == 0, r.stderr
    due, heavy = json.loads(r.stdout)
    assert due == "2025-02-11" and heavy == []


def _cli_without(module: str, *argv: str) -> subprocess.CompletedProcess[str]:
    return _python(
        f"import sys; sys.modules[{module!r}] = None\n"
        f"from quyche_rules.cli import main; main({list(argv)!r})\n"
    )


def test_the_quyche_command_without_the_cli_extra_names_it() -> None:
    r = _cli_without("typer", "--version")
    assert r.returncode == 1 and r.stderr.count("\n") == 1, r.stderr
    assert "pip install 'quyche-rules[cli]'" in r.stderr


def test_postgresql_without_its_driver_names_the_extra() -> None:
    r = _cli_without("psycopg", "track", "status", "--db", "postgresql://u@127.0.0.1:9/x")
    assert r.returncode == 1 and r.stderr.count("\n") == 1, r.stderr
    assert "quyche-rules[postgresql]" in r.stderr and "internal error" not in r.stderr


def test_the_tracker_and_the_service_without_their_extras_name_them() -> None:
    r = _cli_without("sqlalchemy", "track", "status", "--db", ":memory:")
    assert r.returncode == 1 and "quyche-rules[tracker]" in r.stderr, r.stderr
    r = _cli_without("uvicorn", "serve", "--db", ":memory:")
    assert r.returncode == 1 and "quyche-rules[service]" in r.stderr, r.stderr


def _names(requirements: list[str]) -> set[str]:
    return {
        re.split(r"[\[<>=!;~ ]", r, maxsplit=1)[0].lower().replace("_", "-") for r in requirements
    }


def test_extras_match_the_users_and_constraints_pin_them() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    core = _names(project["dependencies"])
    assert core == {"pydantic", "pyyaml", "holidays", "durable-rules"}
    extras = project["optional-dependencies"]
    assert {"cli", "tracker", "postgresql", "service", "pages", "all", "dev"} <= set(extras)
    assert "quyche-rules[cli,tracker,postgresql,pages,service,delivery]" in extras["all"]
    assert "quyche-rules[all]" in extras["dev"]
    pinned = {
        line.split("==")[0].lower().replace("_", "-")
        for line in (ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines()
        if "==" in line and not line.startswith("#")
    }
    wanted = core.union(*(_names(v) for v in extras.values())) - {"quyche-rules"}
    assert wanted <= pinned, f"pin in constraints.txt: {sorted(wanted - pinned)}"
