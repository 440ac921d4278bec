"""The rule files once validated and compiled, kept as plain JSON data between runs.

Validating the 18 article files (pydantic, every quote against the text, every condition
against the event models, every party against the registry) was the largest part of a
command's start-up after its imports: a clerk's script starts ``quyche notify`` once per
letter, and the files change a few times a year. Their outcome is a pure function of the
rulebook's files and of the code that reads them, so it is kept under the SHA-256 of
exactly those: the rulebook's ``content_hash`` (every file's name and bytes: the text,
the parties, the deadlines, the articles), the bytes of every module the result
depends on (``errors.py``, ``io/``, ``model/``, ``rulebook/``; an editable install changes
code without changing the version) and the versions of Python, PyYAML and pydantic. Any
change to a file, to that code or to those versions is another key.

Only a rulebook that loaded without error is stored, so an entry can never make an
invalid one load. Safe by construction, like ``io.parse_cache``: entries are JSON data
rebuilt into the loader's own dataclasses (never code, never pickle: loading a pickle
runs code); each carries the SHA-256 of its data, checked before use, so a damaged entry
is a miss, not a wrong rule; an entry that is unreadable, for another key or that does not
rebuild is ignored and the rulebook validated again; writes are atomic (temporary file,
then rename), the directory 0700 and the files 0600, and their failure costs speed, never
an answer. ``QUYCHE_NO_CACHE=1`` turns it off; the directory is ``compiled/`` in the
parse cache's (``$QUYCHE_CACHE_DIR``, else ``$XDG_CACHE_HOME/quyche-rules``, else
``~/.cache/quyche-rules``).
"""

from __future__ import annotations

import hashlib
import sys
from functools import cache
from pathlib import Path
from typing import Any

from quyche_rules.io.parse_cache import cache_dir, read_checksummed, write_checksummed
from quyche_rules.model.basis import Basis
from quyche_rules.model.vocabulary import Duty, Form, Period
from quyche_rules.rulebook.conditions import All, AnyOf, Condition, Contains, Eq, In
from quyche_rules.rulebook.text import Regulation, Unit

_FORMAT = "quyche-rules compiled rules 1"
#: entries kept at most: past it the least recently written go first (rule files edited
#: many times; the rulebook in use is the one just written, or read and so still there)
MAX_ENTRIES = 50
_PACKAGE = Path(__file__).resolve().parents[1]


@cache
def code_identity() -> str:
    """SHA-256 of the code a compiled rulebook depends on: every module below ``engine``
    (the layers the loader may import) in a fixed order, by name and bytes, and the
    versions of Python and of the libraries that parse and validate (PyYAML, pydantic)."""
    import pydantic
    import yaml

    versions = f"{_FORMAT}\0{sys.version}\0{pydantic.VERSION}\0{yaml.__version__}"
    digest = hashlib.sha256(versions.encode())
    paths = [_PACKAGE / "errors.py"]
    for layer in ("io", "model", "rulebook"):
        paths.extend(sorted((_PACKAGE / layer).glob("*.py")))
    for p in paths:
        data = p.read_bytes()
        digest.update(f"\0{p.relative_to(_PACKAGE).as_posix()}\0{len(data)}\0".encode())
        digest.update(data)
    return digest.hexdigest()


def entry_path(content_hash: str) -> Path | None:
    """Where the compiled rules of a rulebook with this content hash live (None: cache off)."""
    where = cache_dir()
    if where is None:
        return None
    key = hashlib.sha256(f"{code_identity()}\0{content_hash}".encode()).hexdigest()
    return where / "compiled" / f"{key}.json"


# --- plain data ------------------------------------------------------------------------------


def _basis(b: Basis) -> list[Any]:
    return [b.article, b.clause, b.point]


def _cond(c: Condition) -> list[Any]:
    if isinstance(c, Eq):
        return ["eq", c.field, c.value, sorted(c.exact), c.parties]
    if isinstance(c, In):
        return ["in", c.field, list(c.values), sorted(c.exact), c.parties]
    if isinstance(c, Contains):
        return ["contains", c.field, c.value, sorted(c.exact)]
    if isinstance(c, All):
        return ["all", [_cond(i) for i in c.items]]
    return ["any", [_cond(i) for i in c.items]]


def _scalar(v: Any) -> str | bool:
    if not isinstance(v, str | bool):
        raise TypeError(f"condition value {v!r}")
    return v


def _uncond(d: list[Any]) -> Condition:
    kind = d[0]
    if kind == "eq":
        return Eq(str(d[1]), _scalar(d[2]), frozenset(map(str, d[3])), bool(d[4]))
    if kind == "in":
        values = tuple(_scalar(v) for v in d[2])
        return In(str(d[1]), values, frozenset(map(str, d[3])), bool(d[4]))
    if kind == "contains":
        return Contains(str(d[1]), str(d[2]), frozenset(map(str, d[3])))
    if kind == "all":
        return All(tuple(_uncond(i) for i in d[1]))
    if kind == "any":
        return AnyOf(tuple(_uncond(i) for i in d[1]))
    raise ValueError(f"condition kind {kind!r}")


def _opt(v: Any) -> str | None:
    return None if v is None else str(v)


def to_data(book: Any, articles: dict[int, str]) -> dict[str, Any]:
    """The compiled rules and non-actionable units of a loaded ``Rulebook``, as JSON data
    (the loader's classes are not imported here: the loader imports this module)."""
    rules = [
        {
            "id": r.id,
            "basis": _basis(r.basis),
            "quote": r.quote,
            "obligated": r.obligated,
            "counterparties": list(r.counterparties),
            "duty": r.duty.value,
            "form": r.form.value,
            "summary_en": r.summary_en,
            "note": r.note,
            "deadline": r.deadline.id if r.deadline is not None else None,
            "triggers": [
                [
                    t.event_type,
                    _cond(t.condition) if t.condition is not None else None,
                    t.period.value if t.period is not None else None,
                ]
                for t in r.event_triggers
            ],
            "standing": r.standing,
            "file": r.file,
            "summary_vi": r.summary_vi,
            "note_vi": r.note_vi,
        }
        for r in book.rules.values()
    ]
    non_actionable = [
        [_basis(n.basis), n.reason, n.file, n.reason_vi] for n in book.non_actionable.values()
    ]
    reg: Regulation = book.regulation
    return {
        "regulation": {
            "raw": reg.raw,
            "titles": [[n, t] for n, t in reg.titles.items()],
            "units": [[_basis(b), u.text, u.has_points] for b, u in reg.units.items()],
        },
        "parties": [p.model_dump(mode="json") for p in book.parties.parties.values()],
        "deadlines": [p.model_dump(mode="json") for p in book.deadlines.values()],
        "articles": [[n, f] for n, f in articles.items()],
        "rules": rules,
        "non_actionable": non_actionable,
    }


def _unbasis(d: list[Any]) -> Basis:
    article, clause, point = d
    return Basis(int(article), None if clause is None else int(clause), _opt(point))


def rule_fields(d: dict[str, Any], deadlines: dict[str, Any]) -> dict[str, Any]:
    """The keyword arguments of one ``Rule``, its ``event_triggers`` as the arguments of
    each ``EventTrigger``; ``deadlines`` are the policies validated in this run."""
    deadline = None if d["deadline"] is None else deadlines[d["deadline"]]
    return {
        "id": str(d["id"]),
        "basis": _unbasis(d["basis"]),
        "quote": str(d["quote"]),
        "obligated": str(d["obligated"]),
        "counterparties": tuple(map(str, d["counterparties"])),
        "duty": Duty(d["duty"]),
        "form": Form(d["form"]),
        "summary_en": str(d["summary_en"]),
        "note": _opt(d["note"]),
        "deadline": deadline,
        "event_triggers": tuple(
            (str(et), _uncond(c) if c is not None else None, Period(p) if p is not None else None)
            for et, c, p in d["triggers"]
        ),
        "standing": bool(d["standing"]),
        "file": str(d["file"]),
        "summary_vi": str(d["summary_vi"]),
        "note_vi": _opt(d["note_vi"]),
    }


def regulation_from(d: dict[str, Any]) -> Regulation:
    """The parsed text, as ``text.parse`` gave it when the entry was written."""
    reg = Regulation(raw=str(d["raw"]))
    reg.titles.update((int(n), str(t)) for n, t in d["titles"])
    for b, text, has_points in d["units"]:
        basis = _unbasis(b)
        reg.units[basis] = Unit(basis, str(text), bool(has_points))
    return reg


def non_actionable_fields(d: list[Any]) -> tuple[Basis, str, str, str]:
    """The arguments of one ``NonActionable``."""
    basis, reason, file, reason_vi = d
    return _unbasis(basis), str(reason), str(file), str(reason_vi)


# --- entries -----------------------------------------------------------------------------------


def read(path: Path) -> dict[str, Any] | None:
    """The data of an entry whose checksum holds, else None (absent, unreadable, damaged)."""
    return read_checksummed(path)


def write(path: Path, data: dict[str, Any]) -> None:
    """Store an entry atomically, readable by its owner only; failures are ignored."""
    write_checksummed(path, data, max_entries=MAX_ENTRIES)
