"""A cache of parsed rule files, keyed by content hash (issue 10, cold start).

Parsing the rulebook's YAML (bounded, checked loader) is most of a cold start. Its result
is a pure function of the file's bytes, the limits and the parser's code, so it is kept as
JSON in the user's cache directory under the SHA-256 of exactly those: any change to a
file, to the limits, to the package version or to ``yamlio.py`` itself is a different key.
Only the *parse* is cached here: every validation after it (pydantic models, conditions,
quotes checked against the regulation text) runs on every load that validates, so a cache
entry can never make an invalid rulebook load. (A rulebook that has validated is kept
whole by ``rulebook.compiled``, under its files' bytes.)

Safe by construction: entries are JSON data (never code, never pickle); a result that JSON
cannot hold exactly (dates, non-string keys) is not cached; an entry that is unreadable,
malformed or for another key is ignored and the file parsed again; writes are atomic
(temporary file + rename) and their failure is ignored. ``QUYCHE_NO_CACHE=1`` turns it off;
the directory is ``$QUYCHE_CACHE_DIR``, else ``$XDG_CACHE_HOME/quyche-rules``, else
``~/.cache/quyche-rules``.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

from quyche_rules.io.yamlio import RULE_FILE_LIMITS, Limits, parse_yaml, read_bounded

_FORMAT = "quyche-rules parse cache 1"
#: entries kept at most: past it new parses are not stored (rule files edited many times)
MAX_ENTRIES = 1000


def cache_dir() -> Path | None:
    """Where entries live, or None when the cache is off."""
    if os.environ.get("QUYCHE_NO_CACHE", "") not in ("", "0"):
        return None
    explicit = os.environ.get("QUYCHE_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "quyche-rules"


@cache
def _code_hash() -> str:
    """The parser's identity: the package version and the bytes of ``yamlio.py`` (an
    editable install changes the code without changing the version)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        ver = version("quyche-rules")
    except PackageNotFoundError:
        ver = "0+unknown"
    src = Path(__file__).with_name("yamlio.py").read_bytes()
    return hashlib.sha256(ver.encode() + b"\0" + src).hexdigest()


def _exact(value: Any) -> bool:
    """True when JSON holds ``value`` exactly (types included), so a hit equals a parse."""
    if value is None or type(value) in (str, bool, int):
        return True
    if type(value) is float:
        return math.isfinite(value)
    if type(value) is list:
        return all(_exact(v) for v in value)
    if type(value) is dict:
        return all(type(k) is str and _exact(v) for k, v in value.items())
    return False


def parse_cached(data: bytes, *, file: str, limits: Limits) -> Any:
    """``parse_yaml(data, file=file, limits=limits)``, from the cache when it holds it."""
    where = cache_dir()
    if where is None:
        return parse_yaml(data, file=file, limits=limits)
    key = hashlib.sha256(f"{_FORMAT}\0{_code_hash()}\0{limits!r}\0".encode() + data).hexdigest()
    entry = where / f"{key}.json"
    try:
        stored = json.loads(entry.read_bytes())
        if isinstance(stored, dict) and stored.get("key") == key and "data" in stored:
            return stored["data"]
    except (OSError, ValueError, RecursionError):
        pass  # absent, unreadable or damaged: parse again
    parsed = parse_yaml(data, file=file, limits=limits)
    if _exact(parsed):
        _store(entry, {"key": key, "data": parsed})
    return parsed


def _store(entry: Path, payload: dict[str, Any]) -> None:
    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        if sum(1 for _ in entry.parent.glob("*.json")) >= MAX_ENTRIES:
            return
        write_private(entry, json.dumps(payload, ensure_ascii=False).encode())
    except OSError:
        pass  # a read-only or full disk costs speed, never an answer


def write_private(path: Path, body: bytes) -> None:
    """Write a cache entry whole or not at all: a temporary file (``mkstemp``: mode 0600)
    renamed over ``path``, so a reader never sees half an entry and a crash leaves only a
    ``.tmp`` file behind. Raises ``OSError``: each cache decides what a failed write costs."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(body)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_checksummed(path: Path) -> dict[str, Any] | None:
    """The JSON object of an entry written by ``write_checksummed`` whose checksum holds,
    else None (absent, unreadable, damaged): a cache entry is trusted only this far."""
    try:
        raw = path.read_bytes()
    except OSError:
        return None
    head, sep, body = raw.partition(b"\n")
    if not sep or head.decode("ascii", "replace") != hashlib.sha256(body).hexdigest():
        return None
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return None
    return data if isinstance(data, dict) else None


def write_checksummed(path: Path, data: dict[str, Any], *, max_entries: int) -> None:
    """Store ``data`` as its SHA-256 line then its JSON, atomically and readable by its owner
    only, in a 0700 folder of at most ``max_entries`` ``*.json`` entries (the oldest go
    first). Failures are ignored: a read-only or full disk costs speed, never an answer."""
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        entries = list(path.parent.glob("*.json"))
        if len(entries) >= max_entries:
            entries.sort(key=lambda e: e.stat().st_mtime_ns)
            for old in entries[: len(entries) - max_entries + 1]:
                old.unlink(missing_ok=True)
        write_private(path, hashlib.sha256(body).hexdigest().encode() + b"\n" + body)
    except OSError:
        pass


def load_yaml(path: Path, *, limits: Limits = RULE_FILE_LIMITS) -> Any:
    """A rule file (or any shipped YAML), bounded; errors are ``RulebookError``. The parse
    is cached by content hash (``parse_cache``); validation after it is never cached."""
    data = read_bounded(path, file=path.name, limits=limits)
    return parse_cached(data, file=path.name, limits=limits)
