"""A fast reader for the common JSON event: one flat object of strings, booleans, nulls and
lists of strings (issue 10: reading a JSON Lines event through the YAML reader cost more
than answering it).

It never decides alone what the careful reader (``yamlio.parse_yaml``) would refuse: it
answers ``None`` for anything outside that flat shape or anything the careful reader checks
(bytes that are not strict UTF-8, a byte-order mark, duplicate keys, too many items, numbers,
nested objects, surrogate escapes, raw characters YAML calls non-printable), and the caller
then reads the line the careful way, which accepts it or names the error. On the flat shape
both readers give the same mapping.

Why not pydantic's ``validate_json``: its JSON parser keeps the last of duplicate keys,
which our input rules refuse (an event that says two things must not be answered silently).
"""

from __future__ import annotations

import json
import re
import unicodedata
from typing import Any

import yaml

from quyche_rules.io.yamlio import Limits

#: ``\ud800``-``\udfff`` escapes (JSON's surrogate pairs): the YAML reader refuses them
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


_NON_PRINTABLE = yaml.reader.Reader.NON_PRINTABLE
_YAML_BREAKS = re.compile("[\x85\u2028\u2029]")  # YAML reads them as line breaks


class _NotFlat(Exception):
    """Raised inside the parser's hooks: leave this line to the careful reader."""


def _pairs(limits: Limits) -> Any:
    def hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        out = dict(pairs)
        if len(out) != len(pairs) or len(out) > limits.max_items:
            raise _NotFlat
        return out

    return hook


def _refuse(_: str) -> Any:
    raise _NotFlat


def _plain(value: str) -> bool:
    """A string both readers read alike: no lone surrogate (from a ``\\ud800`` escape)."""
    if value.isascii():
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def flat_json_event(line: bytes, limits: Limits) -> dict[str, Any] | None:
    """The event of one JSON line when it is a flat object, else ``None`` (read it with
    ``yamlio.parse_yaml``, which accepts it or says what is wrong)."""
    if not line.lstrip().startswith(b"{") or _SURROGATE_ESCAPE.search(line):
        return None
    try:
        text = line.decode("utf-8")  # strict; json.loads would guess UTF-16/32 from bytes
        if _NON_PRINTABLE.search(text) or _YAML_BREAKS.search(text):
            return None  # raw characters the YAML reader refuses, or reads as line breaks
        data = json.loads(
            text,
            object_pairs_hook=_pairs(limits),
            parse_float=_refuse,
            parse_int=_refuse,
            parse_constant=_refuse,
        )
    except (_NotFlat, ValueError, RecursionError):
        return None
    if not isinstance(data, dict):
        return None
    out: dict[str, Any] = {}
    for key, value in data.items():
        if not _plain(key):
            return None
        if isinstance(value, str):
            if not _plain(value):
                return None
            value = _nfc(value)
        elif isinstance(value, list):
            if len(value) > limits.max_items:
                return None
            if not all(isinstance(v, str) and _plain(v) for v in value):
                return None
            value = [_nfc(v) for v in value]
        elif value is not None and not isinstance(value, bool):
            return None
        out[_nfc(key)] = value
    if len(out) != len(data):  # two keys the same once NFC-normalised
        return None
    return out


def _nfc(value: str) -> str:
    """NFC, as the careful reader normalises every string (keys included)."""
    return value if value.isascii() else unicodedata.normalize("NFC", value)


# --- a whole JSON body (the HTTP service) ---------------------------------------------------


class _Duplicated(dict[str, Any]):
    """An object that had a key twice: ``key`` is the first repeated one (its pointer is
    found by walking the parsed document, only when a duplicate was seen)."""

    key: str = ""


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _path_to(value: Any, path: list[str]) -> tuple[list[str], str] | None:
    """The path of the first ``_Duplicated`` object in ``value`` and its repeated key."""
    if isinstance(value, _Duplicated):
        return path, value.key
    if isinstance(value, dict):
        items: Any = value.items()
    elif isinstance(value, list):
        items = ((str(i), v) for i, v in enumerate(value))
    else:
        return None
    for key, child in items:
        found = _path_to(child, [*path, str(key)])
        if found is not None:
            return found
    return None


def read_json(data: bytes, where: str = "body") -> Any:
    """One JSON document, read with the rules the CLI's reader applies to events: strict
    UTF-8 (no byte-order mark, no UTF-16 guessed from the bytes), no ``NaN``/``Infinity``,
    and no object with the same key twice, also once keys are NFC-normalised (Python's
    ``json`` keeps the last silently: an event saying two things would be answered on
    one of them). Parsed once; the duplicate check is a dict size comparison per object.

    Raises ``EventError`` whose ``field`` is the dotted path of the repeated key
    (``events.0.type``, a JSON Pointer ``/events/0/type`` in a problem) or ``where`` for
    unreadable bytes."""
    from quyche_rules.errors import EventError

    seen_duplicate = False

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        nonlocal seen_duplicate
        out = dict(items)
        if len(out) == len(items) and all(k.isascii() for k in out):
            return out
        keys = [_nfc(k) for k, _ in items]
        if len(set(keys)) == len(keys):
            return out
        seen_duplicate = True
        dup = _Duplicated(out)
        seen: set[str] = set()
        for k in keys:
            if k in seen:
                dup.key = k
                break
            seen.add(k)
        return dup

    try:
        text = data.decode("utf-8")
        if text.startswith("\ufeff"):
            raise UnicodeError
    except UnicodeError:
        raise EventError(
            f"{where}: không đọc được dạng JSON UTF-8 / cannot be read as UTF-8 JSON",
            field="",
            code="unreadable",
        ) from None
    try:
        value = json.loads(text, object_pairs_hook=pairs, parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        raise EventError(f"{where}: malformed JSON", field="", code="json_invalid") from None
    if seen_duplicate:
        found = _path_to(value, [])
        if found is not None:
            path, key = found
            place = ".".join([*path, key])
            raise EventError(
                f"{where}.{place}: khoá lặp lại {key!r}, văn bản nói hai điều khác nhau bị từ "
                f"chối / duplicate key {key!r}: a body that says two things is refused",
                field=place,
                code="duplicate_key",
            )
    return value
