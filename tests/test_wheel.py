"""The package works wherever it is installed: build the wheel, install it into a fresh
venv outside the checkout, run the CLI and a library query from another directory.

About 30-90 s (pip's cache makes the dependencies cheap after the first run; the venv is
created without pip and filled by this interpreter's pip). ``.ci/run`` does the same from
the shell before the test suite.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

from tests.wheelkit import make_venv, run

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples/events/03-1-de-nghi-phoi-hop-truoc-tet.yaml"


def test_every_subpackage_is_listed_for_the_wheel() -> None:
    """pyproject.toml lists packages explicitly (package-dir mappings and discovery do not
    combine): a new subpackage of src/quyche_rules must be added there."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    listed = set(config["tool"]["setuptools"]["packages"])
    src = ROOT / "src"
    found = {
        ".".join(p.parent.relative_to(src).parts)
        for p in (src / "quyche_rules").rglob("__init__.py")
        if "__pycache__" not in p.parts
    }
    assert found <= listed, f"add to [tool.setuptools] packages: {sorted(found - listed)}"


def test_core_wheel_alone_answers_and_the_command_names_its_extra(
    built_wheel: Path, tmp_path: Path
) -> None:
    """``pip install quyche-rules``: what a Python system embeds, without the CLI, the
    tracker or the service; ``quyche`` then says which extra to install."""
    venv = make_venv(tmp_path, str(built_wheel))
    query = (
        "import sys, json, quyche_rules as q; e = q.Engine(profile='dak-lak'); "
        "obs = e.who_must_be_notified({'type': 'coordination_requested', 'date': '2025-01-23',"
        " 'requester': 'Đảng ủy Khối', 'requested': 'Ban Nội chính Tỉnh ủy',"
        " 'received_on': '2025-01-24'}); "
        "print(json.dumps([obs[0].due.isoformat(), sorted(sys.modules)]))"
    )
    due, modules = json.loads(run(venv / "bin" / "python", "-c", query, cwd=tmp_path).stdout)
    assert due == "2025-02-11"
    heavy = {"fastapi", "sqlalchemy", "typer", "rich", "jinja2", "uvicorn", "alembic"}
    assert not heavy & {m.split(".")[0] for m in modules}
    proc = subprocess.run(
        [venv / "bin" / "quyche", "--version"], capture_output=True, text=True, cwd=tmp_path
    )
    assert proc.returncode == 1 and "pip install 'quyche-rules[cli]'" in proc.stderr


def test_wheel_installed_outside_the_checkout_works(
    built_wheel: Path, full_wheel_venv: Path, tmp_path: Path
) -> None:
    dist = built_wheel.parent
    names = set(zipfile.ZipFile(built_wheel).namelist())
    shipped = {
        "quyche_rules/_rules/" + p.relative_to(ROOT / "rules").as_posix()
        for p in (ROOT / "rules").rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }
    assert shipped <= names, sorted(shipped - names)
    assert "quyche_rules/py.typed" in names
    assert dist.is_dir()

    venv = full_wheel_venv
    python = venv / "bin" / "python"
    work = tmp_path / "elsewhere"
    work.mkdir()
    event = work / "event.yaml"
    shutil.copy(EXAMPLE, event)

    version = run(venv / "bin" / "quyche", "--version", cwd=work).stdout
    assert str(venv) in version and "sha256:" in version  # the packaged rules, not ROOT's
    out = run(venv / "bin" / "quyche", "notify", "--json", event, cwd=work).stdout
    assert json.loads(out)[0]["due"] == "2025-02-11"
    # a packaged profile by name, from a directory that has no profiles/
    quyche = venv / "bin" / "quyche"
    out = run(quyche, "notify", "--profile", "dak-lak", "--json", event, cwd=work).stdout
    assert json.loads(out)[0]["due"] == "2025-02-11"
    assert "dak-lak" in run(quyche, "profiles", "list", cwd=work).stdout
    db = work / "tracker.db"
    run(quyche, "track", "record", "--db", db, event, cwd=work)
    rebuilt = run(quyche, "track", "rebuild", "--db", db, cwd=work).stdout
    assert rebuilt.startswith("projection rebuilt from 1 records")
    query = (
        "import quyche_rules as q, json, sys; e = q.Engine(); "
        "obs = e.who_must_be_notified({'type': 'coordination_requested', 'date': '2025-01-23',"
        " 'requester': 'Đảng ủy Khối', 'requested': 'Ban Nội chính Tỉnh ủy',"
        " 'received_on': '2025-01-24'}); "
        "print(json.dumps([q.__version__, q.__file__, obs[0].due.isoformat(),"
        " len(e.rulebook.rules)]))"
    )
    ver, where, due, rules = json.loads(run(python, "-c", query, cwd=work).stdout)
    assert where.startswith(str(venv)) and due == "2025-02-11" and rules > 100
    assert ver == json.loads(run(sys.executable, "-c", query, cwd=work).stdout)[0]
