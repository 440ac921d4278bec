"""``quyche notify FILE... --json`` answered without Typer, Click or Rich.

Clerks' scripts call ``quyche notify letter.yaml --json`` once per letter, so the command's
start-up is what they wait for, and importing Typer, Click and Rich (for help text and
tables this form never prints) was about a third of it. ``answer`` recognises exactly

    notify FILE... --json [--backend B] [--max-bytes N] [--profile P] [--indent N]

(options in any order, each at most once, ``-`` for stdin at most once) and prints the
answer only when every file gives one. Anything else returns ``None`` and the Typer app
runs as always: another command or option, ``--help``, no file, a value that is not a
plain one. So does every failure — a file that cannot be read, an event the engine
refuses, a bad option value: the Typer path then runs the same command from the start
and says what it always says, with the same exit status (stdin, read here first, is
handed to it again). The refusals are thus the Typer path's own by construction, and the
answers are held to it byte for byte by ``tests/test_cli_fast.py``.

It imports only the layers a ``notify`` needs (reading, the engine), never ``cli.common``.
Without a profile it first asks the engine as an earlier run wrote it down
(``engine.snapshot``, kept by ``engine.snapshot_cache``): ``engine.plain`` answers from
that data without importing pydantic, and hands back any event it is not sure of; the
engine then answers every file, and writes the snapshot down when there was none.
"""

from __future__ import annotations

import functools
import io
import json
import os
import re
import sys
from dataclasses import dataclass, field
from importlib.util import find_spec
from pathlib import Path
from typing import Any

BACKENDS = ("auto", "durable", "python")  # as ``cli.common.BACKENDS``
#: ``model.profiles.PROFILE_ENV``, written out: reading it must not load the profiles'
#: models when no profile is named (a test holds the two equal)
PROFILE_ENV = "QUYCHE_PROFILE"
_VALUED = ("--backend", "--max-bytes", "--profile", "--indent")
_DIGITS = re.compile(r"[0-9]{1,9}")


@dataclass
class _Args:
    files: list[str] = field(default_factory=list)
    options: dict[str, str] = field(default_factory=dict)


def _parse(argv: list[str]) -> _Args | None:
    """The arguments when they are exactly the form above, with plain values; else None."""
    if len(argv) < 3 or argv[0] != "notify" or argv.count("--json") != 1:
        return None
    args = _Args()
    rest = iter(argv[1:])
    for arg in rest:
        if arg == "--json":
            continue
        if arg.startswith("--"):
            name, eq, value = arg.partition("=")
            if name not in _VALUED or name in args.options:
                return None
            if not eq:
                value = next(rest, "")
            if not value or value.startswith("-") or value != value.strip():
                return None  # missing, option-like or padded: the parser decides
            args.options[name] = value
        elif arg.startswith("-") and arg != "-":
            return None
        else:
            args.files.append(arg)
    o = args.options
    if not args.files or args.files.count("-") > 1 or o.get("--backend", "auto") not in BACKENDS:
        return None
    if any(k in o and not _DIGITS.fullmatch(o[k]) for k in ("--max-bytes", "--indent")):
        return None
    if "--indent" in o and int(o["--indent"]) > 16:
        return None
    return args


@functools.lru_cache(maxsize=4)
def _engine(rules_dir: Path, backend: str, profile: Path | None) -> Any:
    """One engine per (directory, backend, profile), as ``cli.common.cached_engine``."""
    from quyche_rules.engine.engine import Engine

    return Engine(rules_dir=rules_dir, backend=backend, profile=profile)  # type: ignore[arg-type]


def _profile(option: str | None) -> Path | None:
    """As ``cli.common.profile_path``: the option, else ``$QUYCHE_PROFILE`` (empty: none)."""
    chosen = option or os.environ.get(PROFILE_ENV, "").strip() or None
    return Path(chosen) if chosen is not None else None


def _answer(args: _Args, stdin_read: list[bytes]) -> str:
    """The JSON text ``quyche notify --json`` prints, or any exception."""
    from quyche_rules.engine import snapshot_cache
    from quyche_rules.io import resources
    from quyche_rules.io.yamlio import event_limits, read_event

    o = args.options
    limits = event_limits(int(o["--max-bytes"]) if "--max-bytes" in o else None)
    backend = o.get("--backend", "auto")
    events: list[tuple[str, Any]] = []
    for path in args.files:
        if path == "-":
            # read as ``read_bounded`` reads a stream (limit + 1 bytes, at once), and kept
            # so that the Typer path, if it must run, reads the very same bytes
            stdin_read.append(sys.stdin.buffer.read(limits.max_bytes + 1))
            data = read_event(io.BytesIO(stdin_read[0]), file="<stdin>", limits=limits)
        else:
            data = read_event(Path(path), file=path, limits=limits)
        events.append((path, data))
    rules_dir = resources.rules_dir(None)
    profile = _profile(o.get("--profile"))
    # the engine written down by an earlier run answers when it is sure (engine.plain);
    # with a profile, or when it is unsure of one event, the engine answers them all
    entry = snapshot_cache.entry_path(rules_dir) if profile is None else None
    plain = _plain_engine(rules_dir, *entry) if entry is not None else None
    out = _plain_answer(plain, events) if plain is not None and _durable_quiet(backend) else None
    if out is None:
        engine = _engine(rules_dir, backend, profile)
        out = [
            {"event_file": path, **ob.model_dump(mode="json")}
            for path, data in events
            for ob in engine.who_must_be_notified(data)
        ]
        if entry is not None and plain is None:  # none yet, or unusable: write it down
            from quyche_rules.engine import snapshot

            data = snapshot.build(engine)
            if data is not None:
                snapshot_cache.write(*entry, data)
    indent = int(o["--indent"]) if "--indent" in o else None
    seps = (",", ":") if indent is None else None
    return json.dumps(out, ensure_ascii=False, indent=indent, separators=seps, default=str)


def _durable_quiet(backend: str) -> bool:
    """Whether the engine would answer without a word on stderr: durable-rules is there
    when it is asked for or chosen (``auto`` without it logs its fallback once). The two
    matchers give the same answers (the differential tests), so the snapshot answers for
    either."""
    return backend == "python" or find_spec("durable") is not None


def _plain_engine(rules_dir: Path, path: Path, key: str) -> Any:
    """The engine written down as data (``engine.snapshot``), or None when there is no
    usable entry."""
    from quyche_rules.engine import snapshot_cache
    from quyche_rules.engine.plain import PlainEngine

    data = snapshot_cache.read(path, key)
    if data is None:
        return None
    try:
        return PlainEngine.for_rules(data, rules_dir)
    except (LookupError, TypeError, ValueError, AttributeError):
        return None  # an entry that does not rebuild is no entry


def _plain_answer(plain: Any, events: list[tuple[str, Any]]) -> list[dict[str, Any]] | None:
    """Every event's obligations from the snapshot, without building a pydantic model;
    None when it is unsure of one event."""
    out: list[dict[str, Any]] = []
    for path, data in events:
        try:
            obligations = plain.answer(data)
        except Exception:  # whatever it is, the engine decides
            return None
        if obligations is None:
            return None
        out.extend({"event_file": path, **ob} for ob in obligations)
    return out


def answer(argv: list[str]) -> int | None:
    """The exit status once the answer is printed, or None: the Typer app must run."""
    args = _parse(argv)
    if args is None or find_spec("typer") is None:  # without the [cli] extra: its message
        return None
    encoding = (getattr(sys.stdout, "encoding", None) or "").lower().replace("-", "")
    if encoding != "utf8":  # Click re-wraps such a stream; let it
        return None
    stdin_read: list[bytes] = []
    try:
        text = _answer(args, stdin_read)
    except KeyboardInterrupt:
        return 130
    except Exception:
        if stdin_read:  # give the Typer path the bytes this one took from stdin
            sys.stdin = io.TextIOWrapper(io.BytesIO(stdin_read[0]), encoding="utf-8")
        return None
    try:
        sys.stdout.write(text + "\n")
        sys.stdout.flush()
    except BrokenPipeError:
        sys.stdout = None  # do not complain again at exit
        return 1
    return 0
