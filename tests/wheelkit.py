"""Build the wheel once and install it into venvs outside the checkout.

Shared by the wheel tests and the offline-docs browser test, so the suite builds one wheel
and one full venv (``[cli,service]``) whatever order the tests run in. The venvs are made
without pip and filled by this interpreter's pip, with CI's constraints: the same versions
a deployment reproduces.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PIP = (sys.executable, "-m", "pip", "--disable-pip-version-check", "-q")


def run(*args: str | Path, cwd: Path, timeout: int = 300) -> subprocess.CompletedProcess[str]:
    """Run a command that must succeed; on failure the assertion shows its output's tail."""
    proc = subprocess.run(
        [str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=timeout
    )
    assert proc.returncode == 0, (args, proc.stdout[-1000:], proc.stderr[-2000:])
    return proc


def build_wheel(dist: Path) -> Path:
    run(*PIP, "wheel", "--no-deps", "-w", dist, ROOT, cwd=dist)
    (built,) = dist.glob("quyche_rules-*.whl")
    return built


def make_venv(where: Path, requirement: str) -> Path:
    venv = where / "venv"
    run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=where)
    # --no-compile: byte-compiling every dependency up front is most of an install's time;
    # what the tests import is compiled when imported, as it would be anyway
    run(*PIP, "--python", venv / "bin" / "python", "install", "--no-compile",
        "-c", ROOT / "constraints.txt", requirement, cwd=where)  # fmt: skip
    return venv
