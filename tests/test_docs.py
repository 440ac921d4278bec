"""Every code block of README.md and docs/*.md is run, so the documents cannot go stale.

A block says what it is by its fence's language:

- ``bash`` / ``sh``: run with ``bash -e``; must exit 0;
- ``console``: ``$ command`` lines (``\\`` continues a line) each followed by the output it
  must print (compared line by line, trailing spaces ignored);
- ``python``: run by this interpreter; must exit 0;
- ``text``, ``yaml``, ``json``, ``java``, ``nginx``, ``ini``, ``toml``: shown, not run;
- no language: refused (say which it is).

``<!-- not run: reason -->`` on the line before a ``bash`` block leaves it out (README's
install commands: ``.ci/run`` and a fresh machine run those). Each block runs in its own
temporary directory that links the checkout's folders, with ``quyche`` of this venv on
``PATH`` and its own ``HOME`` and ``QUYCHE_DB``: a block cannot touch the checkout or
another block's data. Files added under ``docs/`` are covered as soon as they exist.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
RUN = {"bash", "sh", "console", "python"}
SHOWN = {"text", "yaml", "json", "java", "nginx", "ini", "toml", "diff"}
LINKED = ("examples", "tests", "rules", "profiles", "docs", "scripts", "deploy", "benchmarks")


@dataclass(frozen=True)
class Block:
    file: str
    line: int
    lang: str
    body: str
    skipped: bool

    @property
    def id(self) -> str:
        return f"{self.file}:{self.line}"


def blocks() -> list[Block]:
    found = []
    for doc in DOCUMENTS:
        lines = doc.read_text(encoding="utf-8").splitlines()
        i = 0
        while i < len(lines):
            m = re.match(r"^```([\w-]*)\s*$", lines[i])
            if m is None:
                i += 1
                continue
            end = next(j for j in range(i + 1, len(lines)) if lines[j].startswith("```"))
            skipped = i > 0 and lines[i - 1].strip().startswith("<!-- not run:")
            body = "\n".join(lines[i + 1 : end]) + "\n"
            found.append(Block(doc.relative_to(ROOT).as_posix(), i + 1, m.group(1), body, skipped))
            i = end + 1
    return found


ALL = blocks()


def test_every_block_says_whether_it_runs() -> None:
    unmarked = [b.id for b in ALL if b.lang not in RUN | SHOWN]
    assert not unmarked, f"mark these blocks (```bash, ```console, ```text...): {unmarked}"
    assert any(b.lang in RUN and not b.skipped for b in ALL)


def _workdir(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    work = tmp_path / "work"
    work.mkdir()
    for name in LINKED:
        (work / name).symlink_to(ROOT / name)
    venv = Path(sys.executable).parent.parent
    (work / ".venv").symlink_to(venv)
    env = {
        **os.environ,
        "PATH": f"{venv / 'bin'}:{os.environ.get('PATH', '/usr/bin:/bin')}",
        "HOME": str(tmp_path / "home"),
        "QUYCHE_DB": str(tmp_path / "tracker.db"),
        "COLUMNS": "140",
        "LANG": "C.UTF-8",
    }
    env.pop("QUYCHE_PROFILE", None)
    env.pop("QUYCHE_LANG", None)  # the documents show what a person sees: the default language
    return work, env


def _console(body: str) -> list[tuple[str, list[str]]]:
    steps: list[tuple[str, list[str]]] = []
    lines = body.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("$ "):
            command = line[2:]
            while command.endswith("\\") and i + 1 < len(lines):
                i += 1
                command = command[:-1] + "\n" + lines[i]
            steps.append((command, []))
        elif steps:
            steps[-1][1].append(line.rstrip())
        i += 1
    return steps


def _trim(lines: list[str]) -> list[str]:
    while lines and not lines[-1]:
        lines = lines[:-1]
    return lines


@pytest.mark.parametrize(
    "block", [b for b in ALL if b.lang in RUN and not b.skipped], ids=lambda b: b.id
)
def test_block_runs_as_shown(block: Block, tmp_path: Path) -> None:
    work, env = _workdir(tmp_path)
    run = {"cwd": work, "env": env, "capture_output": True, "text": True, "timeout": 300}
    if block.lang == "python":
        r = subprocess.run([sys.executable, "-c", block.body], **run)  # type: ignore[call-overload]
        assert r.returncode == 0, f"{block.id}: {r.stderr[-2000:]}"
    elif block.lang in ("bash", "sh"):
        r = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", block.body], **run)  # type: ignore[call-overload]
        assert r.returncode == 0, f"{block.id}: {r.stderr[-2000:]}"
    else:
        for command, expected in _console(block.body):
            r = subprocess.run(["bash", "-o", "pipefail", "-c", command], **run)  # type: ignore[call-overload]
            got = [ln.rstrip() for ln in (r.stdout + r.stderr).splitlines()]
            assert _trim(got) == _trim(expected), f"{block.id}: $ {command}\n" + "\n".join(got)
