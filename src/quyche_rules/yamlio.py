"""Reading YAML safely and in one Unicode form.

Rule files are edited by hand, sometimes on systems that save Vietnamese in NFD; the engine
compares strings byte by byte, so every string is brought to NFC as it is read. Only
``safe_load`` is used: a rule file must never be able to run code.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from .errors import RulebookError

try:  # the C loader is several times faster; same semantics as SafeLoader
    _Loader: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    _Loader = yaml.SafeLoader


def to_nfc(value: Any) -> Any:
    """NFC every string in a loaded YAML tree, keys included."""
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, dict):
        return {to_nfc(k): to_nfc(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_nfc(v) for v in value]
    return value


def parse_yaml(text: str, *, file: str) -> Any:
    try:
        return to_nfc(yaml.load(text, Loader=_Loader))  # a SafeLoader: no code runs
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = mark.line + 1 if mark is not None else None
        raise RulebookError(f"malformed YAML: {exc.problem}", file=file, line=line) from None
    except yaml.YAMLError as exc:
        raise RulebookError(f"malformed YAML: {exc}", file=file) from None


def load_yaml(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RulebookError("file not found", file=str(path)) from None
    except UnicodeDecodeError as exc:
        raise RulebookError(f"not UTF-8 ({exc.reason})", file=path.name) from None
    return parse_yaml(text, file=path.name)


def loc_to_field(loc: Sequence[int | str]) -> str:
    """Pydantic's error location as a dotted path ("rules.3.basis.clause")."""
    return ".".join(str(p) for p in loc) or "(root)"


def error_message(err: Any) -> str:
    """Pydantic's message, with the offending value when it is short enough to show."""
    msg = str(err["msg"]).removeprefix("Value error, ")
    value = err.get("input")
    if isinstance(value, str | int | float | bool) and len(repr(value)) <= 60:
        msg += f" (got {value!r})"
    return msg
