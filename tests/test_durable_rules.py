"""durable-rules, the engine of record, on every supported Python: it is installed (on
Python ≥ 3.13 by ``scripts/install-durable-rules``, a patched build), the engine says which
backend answers and why, and falling back to the pure-Python matcher is never silent.

These tests fail, never skip, when durable-rules is missing: the message says how to
install it (docs/durable-rules.md)."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from quyche_rules.cli.main import app
from quyche_rules.engine import engine as engine_module
from quyche_rules.engine.backends import durable_missing, durable_version
from quyche_rules.engine.engine import Engine, choose_backend
from quyche_rules.errors import QuycheError
from quyche_rules.rulebook.loader import Rulebook

ROOT = Path(__file__).resolve().parents[1]
INSTALL = ROOT / "scripts" / "install-durable-rules"
#: set by scripts/ci-python313: durable-rules must be the patched build there
EXPECT_PATCHED = os.environ.get("QUYCHE_EXPECT_DURABLE") == "1" and sys.version_info >= (3, 13)


def test_durable_rules_is_installed() -> None:
    missing = durable_missing()
    if missing is not None:
        pytest.fail(f"{missing} (e.g. scripts/install-durable-rules {sys.executable})")
    version = durable_version()
    assert version is not None and version.startswith("2.0.28"), version
    if EXPECT_PATCHED:
        assert "+quyche" in version, f"durable-rules {version}: not the patched build"


def test_auto_chooses_durable_and_says_why(book: Rulebook) -> None:
    with Engine(book) as engine:
        choice = engine.backend_choice
        assert (choice.name, engine.backend.name) == ("durable", "durable")
        assert choice.reason == f"auto: durable-rules {durable_version()} is installed"
        assert choice.reason_vi.startswith("tự chọn: durable-rules")
    assert choose_backend("durable").reason == choose_backend("python").reason == "requested"


def test_version_names_the_engine() -> None:
    out = CliRunner().invoke(app, ["--version"]).output.splitlines()
    assert out[1].startswith("bộ máy / engine: durable — tự chọn: durable-rules"), out


@pytest.fixture
def without_durable(monkeypatch: pytest.MonkeyPatch) -> None:
    """This process as if durable-rules were not installed, the warning not yet given."""
    monkeypatch.setitem(sys.modules, "durable", None)  # import durable → ImportError
    monkeypatch.setitem(sys.modules, "durable.engine", None)
    monkeypatch.setattr(engine_module, "_fallback_logged", False)


@pytest.mark.usefixtures("without_durable")
def test_fallback_is_named_and_logged_once(
    book: Rulebook, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="quyche_rules.engine.engine"):
        first, second = Engine(book), Engine(book)
    assert first.backend.name == second.backend.name == "python"
    assert first.backend_choice.reason.startswith("auto: durable-rules is not installed on ")
    assert "scripts/install-durable-rules" in first.backend_choice.reason
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1, warnings
    assert "backend auto → python" in warnings[0].getMessage()
    out = CliRunner().invoke(app, ["--version"]).output.splitlines()
    assert out[1].startswith("bộ máy / engine: python — tự chọn: durable-rules không"), out


@pytest.mark.usefixtures("without_durable")
def test_durable_requested_without_it_says_how_to_install(book: Rulebook) -> None:
    with pytest.raises(QuycheError) as caught:
        Engine(book, backend="durable")
    message = str(caught.value)
    assert message.startswith("backend durable: durable-rules is not installed on Python ")
    assert "scripts/install-durable-rules" in message and "\n" not in message


# --- scripts/install-durable-rules: its quick paths (the build itself runs in CI) ----------


def _install(python: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(INSTALL), python],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **env},
        check=False,
    )


def test_install_script_does_nothing_when_durable_works() -> None:
    if durable_missing() is not None:  # the script would build it: not a test's job
        pytest.fail(f"{durable_missing()} (e.g. scripts/install-durable-rules {sys.executable})")
    r = _install(sys.executable)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().endswith("nothing to do"), r.stdout


def test_install_script_refuses_a_missing_python_in_one_line(tmp_path: Path) -> None:
    r = _install(str(tmp_path / "no-python"))
    assert r.returncode == 1 and r.stdout == ""
    assert r.stderr.count("\n") == 1 and "no Python at" in r.stderr


def test_install_script_refuses_a_source_with_another_hash(tmp_path: Path) -> None:
    """A tampered or wrong source distribution is never built."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", venv], check=True)
    fake = tmp_path / "durable_rules-2.0.28.tar.gz"
    fake.write_bytes(b"not the released source")
    r = _install(str(venv / "bin" / "python"), DURABLE_RULES_SDIST=str(fake))
    assert r.returncode == 1, r.stdout
    assert r.stderr.count("\n") == 1 and "refusing to build it" in r.stderr, r.stderr


def test_docs_show_the_patch_in_full_and_the_pinned_hash() -> None:
    """The docs are where a reviewer reads what is changed in durable-rules: they must show
    the patch the script applies, byte for byte, and the hash the script checks."""
    docs = (ROOT / "docs" / "durable-rules.md").read_text(encoding="utf-8")
    patches = sorted((ROOT / "scripts" / "durable-rules").glob("*.patch"))
    assert patches
    for patch in patches:
        assert patch.read_text(encoding="utf-8") in docs, patch.name
    script = INSTALL.read_text(encoding="utf-8")
    pinned = next(line for line in script.splitlines() if line.startswith("SHA256="))
    assert pinned.removeprefix("SHA256=") in docs
