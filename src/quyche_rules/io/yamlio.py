"""The one bounded reader of YAML and JSON input: events and rule files alike.

Events come from other systems and rule files are edited by hand, so both are treated as
hostile until read. What this module guarantees, and why each limit exists (every one was
reached by a real hostile file before):

* **Size**: at most ``max_bytes`` are read (``limit + 1`` bytes, so ``/dev/zero`` or an
  endless pipe cannot exhaust memory). Events: 1 MiB by default, configurable with the
  ``QUYCHE_MAX_EVENT_BYTES`` environment variable or ``--max-bytes``; rule files: 4 MiB.
* **UTF-8 only**, from bytes (stdin included): Latin-1 or UTF-16 is refused with one line,
  not decoded into surrogates. A UTF-8 byte-order mark is tolerated.
* **Depth**: nesting deeper than ``max_depth`` (64) is refused from the parser's event
  stream *before* a tree is built, since the YAML composer recurses in C.
* **Aliases**: at most ``max_aliases`` alias uses (100), and at most ``max_nodes`` nodes
  once aliases are expanded (100,000): a 400-byte "billion laughs" bomb is refused in
  milliseconds. Aliased nodes are shared, never copied, when strings are brought to NFC;
  a self-referencing anchor is refused.
* **Duplicate keys** are refused with the key and its line: YAML's "last one wins" let a
  second ``requested:`` or ``obligated:`` silently change who is bound.
* **Containers** longer than ``max_items`` (1,000 in events, 10,000 in rule files) and
  integers longer than 30 digits are refused with their line (Python refuses int()
  beyond 4,300 digits with a traceback).
* **Timestamps**: an unquoted impossible date (``2025-02-30``, ``0000-01-01``) is refused
  with its line instead of escaping as a ``ValueError``.

Every string is brought to NFC (systems save Vietnamese in NFD; the engine compares bytes).
Only the safe constructors are used: input never runs code. Every error is one line (see
``errors.one_line``) naming the file and, where known, the line.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, Any

import yaml

from quyche_rules.errors import EventError, QuycheError, RulebookError, excerpt, one_line

try:  # the C parser is several times faster; construction stays in Python (hooks below)
    _Base: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    _Base = yaml.SafeLoader

#: Environment variable overriding the default event size limit (bytes).
ENV_MAX_EVENT_BYTES = "QUYCHE_MAX_EVENT_BYTES"
MIB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """Bounds on one document. The defaults suit events; rule files get more room."""

    max_bytes: int = MIB
    max_depth: int = 64
    max_aliases: int = 100
    max_nodes: int = 100_000
    max_items: int = 10_000
    max_int_digits: int = 30


EVENT_LIMITS = Limits(max_items=1000)  # no event needs a list of more than 1,000 bodies
RULE_FILE_LIMITS = Limits(max_bytes=4 * MIB)


def event_limits(max_bytes: int | None = None) -> Limits:
    """Event limits with the size from ``max_bytes``, else ``$QUYCHE_MAX_EVENT_BYTES``."""
    if max_bytes is None:
        env = os.environ.get(ENV_MAX_EVENT_BYTES)
        if env:
            try:
                max_bytes = int(env)
            except ValueError:
                raise EventError(f"{ENV_MAX_EVENT_BYTES}: not an integer: {excerpt(env)}") from None
    if max_bytes is None:
        return EVENT_LIMITS
    if max_bytes < 1:
        raise EventError(f"max_bytes: must be a positive number of bytes, got {max_bytes}")
    return replace(EVENT_LIMITS, max_bytes=max_bytes)


# An error factory: (message, file, line) -> the error to raise.
ErrorFactory = Callable[[str, str, "int | None"], QuycheError]


def rule_error(message: str, file: str, line: int | None) -> QuycheError:
    return RulebookError(message, file=file, line=line)


def event_error(message: str, file: str, line: int | None) -> QuycheError:
    return EventError(f"{file}:{line}: {message}" if line is not None else f"{file}: {message}")


class _InputError(Exception):
    """Raised inside the loader; turned into the caller's error with file and line."""

    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


def _line(node: Any) -> int | None:
    mark = getattr(node, "start_mark", None)
    return mark.line + 1 if mark is not None else None


class _BoundedLoader(_Base):  # type: ignore[misc]
    """A safe loader that refuses duplicate keys, long containers, huge
    integers and impossible timestamps, each with the line."""

    limits: Limits = EVENT_LIMITS

    def __init__(self, stream: Any, limits: Limits) -> None:
        super().__init__(stream)
        self.limits = limits

    def _check_length(self, node: Any) -> None:
        if len(node.value) > self.limits.max_items:
            raise _InputError(
                f"more than {self.limits.max_items} items in one list or mapping", _line(node)
            )

    def construct_sequence(self, node: Any, deep: bool = False) -> Any:
        self._check_length(node)
        return super().construct_sequence(node, deep=deep)

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        self._check_length(node)
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=True)
            try:
                duplicate = key in seen
            except TypeError:
                raise _InputError("a mapping key must be a scalar", _line(key_node)) from None
            if duplicate:
                raise _InputError(f"duplicate key {excerpt(key)}", _line(key_node))
            seen.add(key)
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_int(self, node: Any) -> Any:
        if len(str(node.value)) > self.limits.max_int_digits:
            raise _InputError(
                f"integer longer than {self.limits.max_int_digits} digits", _line(node)
            )
        return super().construct_yaml_int(node)

    def construct_yaml_timestamp(self, node: Any) -> Any:
        try:
            return super().construct_yaml_timestamp(node)
        except (ValueError, OverflowError):
            raise _InputError(
                f"{excerpt(node.value)} is not a valid date (YYYY-MM-DD)", _line(node)
            ) from None


_BoundedLoader.add_constructor("tag:yaml.org,2002:int", _BoundedLoader.construct_yaml_int)
_BoundedLoader.add_constructor(
    "tag:yaml.org,2002:timestamp", _BoundedLoader.construct_yaml_timestamp
)


def _check_depth(text: str, limits: Limits) -> None:
    """Refuse deep nesting and too many alias uses from the parser's events, before any
    tree is built (the C parser keeps its stack on the heap; only the composer recurses)."""
    depth = aliases = 0
    for event in yaml.parse(text, Loader=_Base):
        if isinstance(event, yaml.AliasEvent):
            aliases += 1
            if aliases > limits.max_aliases:
                raise _InputError(f"more than {limits.max_aliases} alias uses", _line(event))
        elif isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > limits.max_depth:
                raise _InputError(f"nested deeper than {limits.max_depth}", _line(event))
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def _finish(root: Any, limits: Limits) -> Any:
    """NFC every string (keys included), sharing what aliases share; refuse cycles and
    trees larger than ``max_nodes`` once aliases are expanded. Iterative: no recursion."""
    if not isinstance(root, dict | list):
        return _leaf(root)
    done: dict[int, tuple[Any, int]] = {}  # id -> (converted, expanded size)
    active: set[int] = set()
    stack: list[Any] = [root]
    while stack:
        obj = stack[-1]
        oid = id(obj)
        if oid in done:
            stack.pop()
            continue
        children = list(obj.values()) if isinstance(obj, dict) else obj
        if oid not in active:
            active.add(oid)
            pending = [c for c in children if isinstance(c, dict | list) and id(c) not in done]
            if any(id(c) in active for c in pending):
                raise _InputError("an anchor refers to itself (recursive alias)", None)
            if pending:
                stack.extend(pending)
                continue
        size = 1
        converted: Any
        if isinstance(obj, dict):
            converted = {}
            for k, v in obj.items():
                cv, n = done[id(v)] if isinstance(v, dict | list) else (_leaf(v), 1)
                converted[_leaf(k)] = cv
                size += n + 1
        else:
            converted = []
            for v in obj:
                cv, n = done[id(v)] if isinstance(v, dict | list) else (_leaf(v), 1)
                converted.append(cv)
                size += n
        if size > limits.max_nodes:
            raise _InputError(
                f"more than {limits.max_nodes} values once aliases are expanded", None
            )
        done[oid] = (converted, size)
        active.discard(oid)
        stack.pop()
    return done[id(root)][0]


def _leaf(value: Any) -> Any:
    return unicodedata.normalize("NFC", value) if isinstance(value, str) else value


def to_nfc(value: Any) -> Any:
    """NFC every string in a loaded tree, keys included (aliases stay shared)."""
    return _finish(value, RULE_FILE_LIMITS)


def decode(data: bytes, *, file: str, error: ErrorFactory = rule_error) -> str:
    """UTF-8 text of ``data`` (a UTF-8 byte-order mark is dropped), or a one-line error."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise error(
            f"not UTF-8 (byte {data[exc.start : exc.start + 1]!r} at offset {exc.start})",
            file,
            None,
        ) from None


def parse_yaml(
    text: str | bytes,
    *,
    file: str,
    limits: Limits = RULE_FILE_LIMITS,
    error: ErrorFactory = rule_error,
) -> Any:
    """Parse one YAML (or JSON) document within ``limits``; errors name ``file`` and line."""
    if isinstance(text, bytes):
        if len(text) > limits.max_bytes:
            raise error(f"larger than {limits.max_bytes} bytes", file, None)
        text = decode(text, file=file, error=error)
    elif len(text.encode("utf-8", "surrogatepass")) > limits.max_bytes:
        raise error(f"larger than {limits.max_bytes} bytes", file, None)
    if "\x00" in text:
        raise error("contains a NUL character (binary data?)", file, None)
    try:
        _check_depth(text, limits)
        loader = _BoundedLoader(text, limits)
        try:
            data = loader.get_single_data()
        finally:
            loader.dispose()
        return _finish(data, limits)
    except _InputError as exc:
        raise error(exc.message, file, exc.line) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = mark.line + 1 if mark is not None else None
        raise error(f"malformed YAML: {exc.problem}", file, line) from None
    except yaml.YAMLError as exc:
        raise error(f"malformed YAML: {exc}", file, None) from None
    except RecursionError:  # belt and braces: the depth check should come first
        raise error(f"nested deeper than {limits.max_depth}", file, None) from None


#: While ``recording_reads`` is active: every file ``read_bounded`` read, by resolved path.
_READS: ContextVar[dict[Path, bytes] | None] = ContextVar("quyche_reads", default=None)


@contextlib.contextmanager
def recording_reads() -> Iterator[dict[Path, bytes]]:
    """Keep the bytes of every file read inside the block, so that a content hash is taken
    of exactly what was parsed (one read per file, no window for an edit in between)."""
    seen: dict[Path, bytes] = {}
    token = _READS.set(seen)
    try:
        yield seen
    finally:
        _READS.reset(token)


def read_bounded(
    source: Path | IO[bytes], *, file: str, limits: Limits, error: ErrorFactory = rule_error
) -> bytes:
    """At most ``limits.max_bytes`` bytes of a file or binary stream, refusing more.

    Reads ``limit + 1`` bytes so that an endless source (``/dev/zero``, a pipe that never
    closes its end is another matter) costs at most the limit in memory.
    """
    try:
        if isinstance(source, Path):
            if source.is_dir():
                raise error("is a directory", file, None)
            with source.open("rb") as fh:
                data = fh.read(limits.max_bytes + 1)
        else:
            data = source.read(limits.max_bytes + 1)
    except FileNotFoundError:
        raise error("cannot read (file not found)", file, None) from None
    except OSError as exc:
        raise error(f"cannot read ({exc.strerror or type(exc).__name__})", file, None) from None
    if len(data) > limits.max_bytes:
        raise error(
            f"larger than {limits.max_bytes} bytes (limit: {ENV_MAX_EVENT_BYTES} or "
            "--max-bytes for events)",
            file,
            None,
        )
    seen = _READS.get()
    if seen is not None and isinstance(source, Path):
        seen[source.resolve()] = data
    return data


def read_event(source: Path | IO[bytes], *, file: str, limits: Limits | None = None) -> Any:
    """One event document from a file or a binary stream; errors are ``EventError``."""
    lim = limits or event_limits()
    data = read_bounded(source, file=file, limits=lim, error=event_error)
    return parse_yaml(data, file=file, limits=lim, error=event_error)


def loc_to_field(loc: Sequence[int | str]) -> str:
    """Pydantic's error location as a dotted path ("rules.3.basis.clause")."""
    return ".".join(excerpt(p, 40, quote=False) for p in loc) or "(root)"


def error_message(err: Any) -> str:
    """Pydantic's message, with the offending value cut to a short excerpt."""
    msg = one_line(str(err["msg"]).removeprefix("Value error, "), 240)
    value = err.get("input")
    if isinstance(value, str | int | float | bool | dt.date):
        msg += f" (got {excerpt(value)})"
    return msg
