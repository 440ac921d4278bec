"""``scripts/setup-system``: what README's test command and ``.ci/run`` install first.

A fresh machine is simulated by ``SETUP_ROOT`` (the programs are looked for under an empty
prefix) and ``--dry-run``; root and the network by stand-ins for ``id`` and ``apt-get`` on
``PATH``. The real thing is checked by ``/work/shared/tools/fresh-machine`` (a Debian chroot).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "setup-system"


def _run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SCRIPT), *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
    )


def _stub(bin_dir: Path, name: str, body: str) -> None:
    bin_dir.mkdir(exist_ok=True)
    (bin_dir / name).write_text(f"#!/bin/sh\n{body}\n")
    (bin_dir / name).chmod(0o755)


def test_on_an_empty_machine_it_plans_every_system_package(tmp_path: Path) -> None:
    r = _run("--dry-run", env={"SETUP_ROOT": str(tmp_path)})
    assert r.returncode == 0, r.stderr
    (line,) = r.stdout.splitlines()  # one line says what it installs
    for pkg in (
        "chromium",
        "chromium-driver",
        "nginx",
        "systemd",
        "fonts-dejavu-core",
        "build-essential",
    ):
        assert f" {pkg} " in f" {line} ", line
    assert "postgresql" in line and "jdk" in line


def test_debian_13_gets_its_own_package_names(tmp_path: Path) -> None:
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "os-release").write_text('ID=debian\nVERSION_ID="13"\n')
    line = _run("--dry-run", env={"SETUP_ROOT": str(tmp_path)}).stdout
    assert " postgresql " in line and "default-jdk-headless" in line and "Debian 13" in line
    (tmp_path / "etc" / "os-release").write_text('ID=debian\nVERSION_ID="12"\n')
    line = _run("--dry-run", env={"SETUP_ROOT": str(tmp_path)}).stdout
    assert "postgresql-15" in line and "openjdk-17-jdk-headless" in line


def test_an_installed_postgresql_of_any_major_from_15_counts(tmp_path: Path) -> None:
    for major, expected_missing in (("13", True), ("17", False)):
        bindir = tmp_path / major / "usr/lib/postgresql" / major / "bin"
        bindir.mkdir(parents=True)
        for tool in ("initdb", "pg_ctl"):
            _stub(bindir, tool, "exit 0")
        line = _run("--dry-run", env={"SETUP_ROOT": str(tmp_path / major)}).stdout
        assert ("postgresql" in line) is expected_missing, (major, line)


def test_without_root_it_fails_with_one_line(tmp_path: Path) -> None:
    _stub(tmp_path / "bin", "id", "echo 1000")
    env = {
        "SETUP_ROOT": str(tmp_path / "empty"),
        "PATH": f"{tmp_path / 'bin'}:{os.environ['PATH']}",
    }
    r = _run(env=env)
    assert r.returncode == 1
    assert r.stderr.count("\n") == 1 and "must run as root" in r.stderr, r.stderr


def test_without_network_it_fails_with_one_line(tmp_path: Path) -> None:
    _stub(tmp_path / "bin", "id", "echo 0")
    _stub(tmp_path / "bin", "apt-get", "echo 'Could not resolve deb.debian.org' >&2; exit 100")
    env = {
        "SETUP_ROOT": str(tmp_path / "empty"),
        "PATH": f"{tmp_path / 'bin'}:{os.environ['PATH']}",
    }
    r = _run(env=env)
    assert r.returncode == 1
    assert r.stderr.count("\n") == 1 and "no network" in r.stderr, r.stderr


def test_this_machine_has_everything_and_a_second_run_installs_nothing() -> None:
    """Idempotent: after setup (CI, README's command) nothing is left to install, and the
    script says so without needing root or the network."""
    r = _run()
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("setup-system: system packages present"), r.stdout


def test_a_bad_argument_is_one_line() -> None:
    r = _run("--frobnicate")
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "--frobnicate" in r.stderr


def test_readme_and_ci_call_it() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    command = "scripts/setup-system --venv .venv && .venv/bin/python -m pytest"
    assert command in readme and command in ci


def _apt_stubs(tmp_path: Path, codename_in_sources: str) -> dict[str, str]:
    """Root, an ``apt-cache policy`` whose sources carry ``codename_in_sources``, and an
    ``apt-get`` that logs its arguments and the source list it was given."""
    log = tmp_path / "apt.log"
    _stub(tmp_path / "bin", "id", "echo 0")
    _stub(
        tmp_path / "bin",
        "apt-cache",
        f"echo '     release v=12,o=Debian,a=stable,n={codename_in_sources},l=Debian,c=main'",
    )
    _stub(
        tmp_path / "bin",
        "apt-get",
        f'echo "$@" >> {log}\n'
        'for a in "$@"; do case "$a" in Dir::Etc::SourceList=*) '
        f'cat "${{a#Dir::Etc::SourceList=}}" >> {log};; esac; done',
    )
    machine = tmp_path / "machine"
    (machine / "etc").mkdir(parents=True)
    (machine / "etc" / "os-release").write_text(
        'ID=debian\nVERSION_ID="13"\nVERSION_CODENAME=trixie\n'
    )
    return {"SETUP_ROOT": str(machine), "PATH": f"{tmp_path / 'bin'}:{os.environ['PATH']}"}


def test_apt_sources_of_another_release_install_from_this_release_only_for_the_run(
    tmp_path: Path,
) -> None:
    """A Debian 13 machine whose apt sources still name Debian 12 (an image copied or
    upgraded from an older one): mixing the two releases' libraries fails, so the packages
    come from trixie on the same mirror, through a list used for this run only."""
    r = _run(env=_apt_stubs(tmp_path, "bookworm"))
    assert r.returncode == 0, r.stderr
    assert "do not carry Debian 13 (trixie)" in r.stdout, r.stdout
    log = (tmp_path / "apt.log").read_text()
    install = next(line for line in log.splitlines() if " install " in f" {line} ")
    assert "Dir::Etc::SourceList=" in install and "Dir::Etc::SourceParts=/nonexistent" in install
    assert " trixie main" in log


def test_apt_sources_of_this_release_are_used_as_they_are(tmp_path: Path) -> None:
    r = _run(env=_apt_stubs(tmp_path, "trixie"))
    assert r.returncode == 0, r.stderr
    assert "do not carry" not in r.stdout
    assert "Dir::Etc::SourceList" not in (tmp_path / "apt.log").read_text()
