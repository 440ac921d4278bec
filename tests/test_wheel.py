"""The package works wherever it is installed: build the wheel, install it into a fresh
venv outside the checkout, run the CLI and a library query from another directory.

About 30 s (pip's cache makes the dependencies cheap after the first run; the venv is
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

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples/events/03-1-de-nghi-phoi-hop-truoc-tet.yaml"


def _run(*args: str | Path, cwd: Path, timeout: int = 300) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=timeout
    )
    assert proc.returncode == 0, (args, proc.stdout[-1000:], proc.stderr[-2000:])
    return proc


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


def test_wheel_installed_outside_the_checkout_works(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    _run(*pip, "wheel", "--no-deps", "-w", dist, ROOT, cwd=tmp_path)
    (wheel,) = dist.glob("quyche_rules-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {
        "quyche_rules/_rules/" + p.relative_to(ROOT / "rules").as_posix()
        for p in (ROOT / "rules").rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }
    assert shipped <= names, sorted(shipped - names)
    assert "quyche_rules/py.typed" in names

    venv = tmp_path / "venv"
    _run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=tmp_path)
    python = venv / "bin" / "python"
    _run(*pip, "--python", python, "install", wheel, cwd=tmp_path)
    work = tmp_path / "elsewhere"
    work.mkdir()
    event = work / "event.yaml"
    shutil.copy(EXAMPLE, event)

    version = _run(venv / "bin" / "quyche", "--version", cwd=work).stdout
    assert str(venv) in version and "sha256:" in version  # the packaged rules, not ROOT's
    out = _run(venv / "bin" / "quyche", "notify", "--json", event, cwd=work).stdout
    assert json.loads(out)[0]["due"] == "2025-02-11"
    query = (
        "import quyche_rules as q, json, sys; e = q.Engine(); "
        "obs = e.who_must_be_notified({'type': 'coordination_requested', 'date': '2025-01-23',"
        " 'requester': 'Đảng ủy Khối', 'requested': 'Ban Nội chính Tỉnh ủy',"
        " 'received_on': '2025-01-24'}); "
        "print(json.dumps([q.__version__, q.__file__, obs[0].due.isoformat(),"
        " len(e.rulebook.rules)]))"
    )
    ver, where, due, rules = json.loads(_run(python, "-c", query, cwd=work).stdout)
    assert where.startswith(str(venv)) and due == "2025-02-11" and rules > 100
    assert ver == json.loads(_run(sys.executable, "-c", query, cwd=work).stdout)[0]
