from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from quyche_rules.analysis.check import CheckReport, check
from quyche_rules.engine.backends import durable_missing, durable_version
from quyche_rules.engine.engine import Engine
from quyche_rules.rulebook.loader import RULES_DIR, Rulebook, load_rulebook

from .tracker.pgserver import PgServer, find_bindir

ROOT = Path(__file__).resolve().parents[1]

# One Chromium and one live service with its pages for every browser test of the run.
pytest_plugins = ["tests.browser"]

# The suite must not write into the user's home: the rule files' parse cache (issue 10) goes
# to a directory of this run (a test that needs another sets its own with monkeypatch).
os.environ.setdefault("QUYCHE_CACHE_DIR", tempfile.mkdtemp(prefix="quyche-test-cache-"))
# The CLI speaks Vietnamese by default; the suite's older tests read its English (the words
# scripts match on, "error: ..."). tests/test_i18n.py removes this to test the default.
os.environ.setdefault("QUYCHE_LANG", "en")


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The test files that drive Chromium run last, together (each file whole, in its
    usual order, so its module fixtures are still made once).

    The browser is shared by the whole run (``tests/browser.py``), and Playwright's sync API
    marks its event loop as the running one between calls: a test that calls
    ``asyncio.run`` while the browser is open would be refused. With the browser tests last,
    no other test runs while it is open, whatever order the files are collected in."""
    browsing = {i.path for i in items if "browser" in getattr(i, "fixturenames", ())}
    items[:] = [i for i in items if i.path not in browsing] + [
        i for i in items if i.path in browsing
    ]


def pytest_report_header() -> str:
    """Which durable-rules this run tests, or why the durable backend's tests will fail."""
    missing = durable_missing()
    if missing is None:
        return f"durable-rules: {durable_version()}"
    return f"durable-rules: MISSING, the durable backend's tests fail: {missing}"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    missing = durable_missing()
    if missing is not None:
        terminalreporter.write_line(
            f"durable-rules: {missing}: the durable backend's tests failed for that reason",
            red=True,
        )


@pytest.fixture(scope="session")
def book() -> Rulebook:
    return load_rulebook()


@pytest.fixture(scope="session")
def engines(book: Rulebook) -> dict[str, Engine]:
    return {"durable": Engine(book, backend="durable"), "python": Engine(book, backend="python")}


@pytest.fixture
def rules_copy(tmp_path: Path) -> Path:
    """A private copy of rules/ that a test may break."""
    dst = tmp_path / "rules"
    shutil.copytree(RULES_DIR, dst)
    return dst


PROFILE = ROOT / "profiles" / "dak-lak.yaml"


@pytest.fixture(scope="session")
def profile_engines(book: Rulebook) -> dict[str, Engine]:
    """Both backends with the shipped Đắk Lắk profile loaded (issue 8)."""
    return {
        "durable": Engine(book, backend="durable", profile=PROFILE),
        "python": Engine(book, backend="python", profile=PROFILE),
    }


@pytest.fixture(scope="session")
def check_report(engines: dict[str, Engine]) -> CheckReport:
    """``rules check`` of the packaged rulebook (every event class run), made once for the
    analysis and the silent-readings tests; no test changes it."""
    return check(engines["python"])


@pytest.fixture(scope="session")
def profile_check_report(profile_engines: dict[str, Engine]) -> CheckReport:
    """The same with the shipped Đắk Lắk profile loaded."""
    return check(profile_engines["python"])


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """One throw-away PostgreSQL server for the session, shared by the tracker's and the
    service's tests (``new_database()`` gives each test its own empty database)."""
    bindir = find_bindir()
    if bindir is None:
        pytest.fail("PostgreSQL >= 15 is missing (no initdb/pg_ctl): run scripts/setup-system")
    server = PgServer(bindir)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def built_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The package's wheel, built once per run."""
    from tests.wheelkit import build_wheel

    return build_wheel(tmp_path_factory.mktemp("dist"))


@pytest.fixture(scope="session")
def full_wheel_venv(built_wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A venv outside the checkout with the wheel and its ``cli`` and ``service`` extras
    (the service brings the tracker, pages and delivery): what an operator installs."""
    from tests.wheelkit import make_venv

    return make_venv(tmp_path_factory.mktemp("wheelvenv"), f"{built_wheel}[cli,service]")
