"""Where an engine written down as data (``engine.snapshot``) is kept between runs, and under
which key, computed without importing pydantic's model machinery (the point of the
snapshot is a start-up that never builds a model class).

The key is the SHA-256 of everything the snapshot is a function of: the rule files' names
and bytes (the text, the parties, the deadlines, every article file) and the directory they
are in; the bytes of every module below ``scenarios`` that reads, validates or answers
(``errors.py``, ``io/``, ``calendar/``, ``model/``, ``rulebook/``, ``engine/``; an editable
install changes code without changing a version); the versions of Python and PyYAML and
the bytes of pydantic's ``version.py``. Any change is another key, so a stale entry is
never read.

Safe as ``rulebook.compiled`` is: entries are JSON data (never code, never pickle), each
with the SHA-256 of its body checked before use and its own key inside (an entry copied
under another name is ignored); the directory is 0700, the files 0600 and written
atomically; at most ``MAX_ENTRIES`` are kept; ``QUYCHE_NO_CACHE=1`` turns it off; a failed
write costs speed, never an answer. The directory is ``answers/`` in the parse cache's.
"""

from __future__ import annotations

import hashlib
import sys
from functools import cache
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import yaml

from quyche_rules.io import resources
from quyche_rules.io.parse_cache import cache_dir, read_checksummed, write_checksummed

_FORMAT = "quyche-rules engine snapshot 1"
#: entries kept at most (the oldest written go first)
MAX_ENTRIES = 50
_PACKAGE = Path(__file__).resolve().parents[1]
_LAYERS = ("io", "calendar", "model", "rulebook", "engine")


@cache
def code_identity() -> str:
    """SHA-256 of the code and library versions a snapshot depends on."""
    digest = hashlib.sha256(f"{_FORMAT}\0{sys.version}\0{yaml.__version__}\0".encode())
    spec = find_spec("pydantic")
    origin = spec.origin if spec is not None else None
    version = Path(origin).with_name("version.py") if origin else None
    digest.update(version.read_bytes() if version is not None else b"no pydantic")
    paths = [_PACKAGE / "errors.py"]
    for layer in _LAYERS:
        paths.extend(sorted((_PACKAGE / layer).glob("*.py")))
    for p in paths:
        data = p.read_bytes()
        digest.update(f"\0{p.relative_to(_PACKAGE).as_posix()}\0{len(data)}\0".encode())
        digest.update(data)
    return digest.hexdigest()


def key(rules_dir: Path) -> str:
    """The key of the snapshot of the rulebook in ``rules_dir`` under this code."""
    directory = rules_dir.resolve()
    files = [
        directory / resources.SOURCE,
        directory / resources.PARTIES,
        directory / resources.DEADLINES,
        *sorted((directory / resources.ARTICLES).glob("*.yaml")),
    ]
    digest = hashlib.sha256(f"{code_identity()}\0{directory}\0".encode())
    for p in files:
        data = p.read_bytes()
        digest.update(f"\0{p.relative_to(directory).as_posix()}\0{len(data)}\0".encode())
        digest.update(data)
    return digest.hexdigest()


def entry_path(rules_dir: Path) -> tuple[Path, str] | None:
    """Where the snapshot of this rulebook lives and its key; None when the cache is off or
    a rule file cannot be read (the engine then says what is wrong)."""
    where = cache_dir()
    if where is None:
        return None
    try:
        k = key(rules_dir)
    except OSError:
        return None
    return where / "answers" / f"{k}.json", k


def read(path: Path, expected_key: str) -> dict[str, Any] | None:
    """The snapshot in an entry whose checksum holds and whose key is the one expected,
    else None (absent, unreadable, damaged, another key's)."""
    entry = read_checksummed(path)
    if entry is None or entry.get("key") != expected_key:
        return None
    data = entry.get("snapshot")
    return data if isinstance(data, dict) else None


def write(path: Path, key_: str, snapshot: dict[str, Any]) -> None:
    """Store a snapshot atomically, readable by its owner only; failures are ignored."""
    write_checksummed(path, {"key": key_, "snapshot": snapshot}, max_entries=MAX_ENTRIES)
