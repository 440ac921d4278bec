"""The compiled rulebook cache: a hit rebuilds exactly what validation builds, and nothing
in the cache (damaged, foreign, stale) can make a rulebook load that validation refuses or
give other rules than the files say."""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import json
import os
import shutil
import stat
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from quyche_rules.errors import RulebookError
from quyche_rules.rulebook import compiled, loader
from quyche_rules.rulebook.loader import Rulebook, load_rulebook

ROOT = Path(__file__).resolve().parents[1]


def _same(a: Any, b: Any, where: str = "") -> None:
    """Equal values of the very same types, all the way down (a ``StrEnum`` equals its
    string, so ``==`` alone would not see a duty rebuilt as a plain string)."""
    assert type(a) is type(b), f"{where}: {type(a).__name__} != {type(b).__name__}"
    if dataclasses.is_dataclass(a) and not isinstance(a, type):
        for f in dataclasses.fields(a):
            _same(getattr(a, f.name), getattr(b, f.name), f"{where}.{f.name}")
    elif isinstance(a, dict):
        assert list(a) == list(b), where  # the same keys in the same order
        for k in a:
            _same(a[k], b[k], f"{where}[{k!r}]")
    elif isinstance(a, list | tuple):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _same(x, y, f"{where}[{i}]")
    elif isinstance(a, BaseModel):
        assert a is b or a == b, where
    elif isinstance(a, enum.Enum):
        assert a is b, where
    else:
        assert a == b, where


def _same_rules(a: Rulebook, b: Rulebook) -> None:
    _same(a.regulation, b.regulation, "regulation")
    _same(a.parties, b.parties, "parties")
    _same(a.deadlines, b.deadlines, "deadlines")
    assert a.directory == b.directory
    _same(a.rules, b.rules, "rules")
    _same(a.non_actionable, b.non_actionable, "non_actionable")
    assert a.content_hash == b.content_hash


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    where = tmp_path / "cache"
    monkeypatch.setenv("QUYCHE_CACHE_DIR", str(where))
    monkeypatch.delenv("QUYCHE_NO_CACHE", raising=False)
    return where / "compiled"


def _validated(rules_dir: Path | None, monkeypatch: pytest.MonkeyPatch) -> Rulebook:
    with monkeypatch.context() as m:
        m.setenv("QUYCHE_NO_CACHE", "1")
        return load_rulebook(rules_dir)


def _no_validation(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(path: Path, *args: Any) -> Any:
        raise AssertionError(f"{path.name} validated: the cache was not used")

    monkeypatch.setattr(loader, "_load_article", refuse)
    monkeypatch.setattr(loader, "load_regulation", refuse)
    monkeypatch.setattr(loader, "load_parties", refuse)
    monkeypatch.setattr(loader, "_load_deadlines", refuse)


def test_a_hit_rebuilds_what_validation_builds(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fresh = _validated(None, monkeypatch)
    assert not cache.exists()
    _same_rules(load_rulebook(), fresh)  # miss: validated and stored
    (entry,) = cache.glob("*.json")
    assert stat.S_IMODE(entry.stat().st_mode) == 0o600
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700
    with monkeypatch.context() as m:
        _no_validation(m)
        hit = load_rulebook()
    _same_rules(hit, fresh)
    assert len(hit.rules) > 100 and any(r.deadline for r in hit)


@pytest.mark.parametrize(
    "damage",
    ["flip a byte", "truncate", "garbage", "valid checksum, wrong shape", "another kind"],
)
def test_a_damaged_entry_is_rebuilt_never_used(
    damage: str, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fresh = _validated(None, monkeypatch)
    load_rulebook()
    (entry,) = cache.glob("*.json")
    raw = entry.read_bytes()
    head, _, body = raw.partition(b"\n")
    if damage == "flip a byte":  # a rule's text changed on disk: the checksum no longer holds
        i = body.index(b'"quote":"') + 12
        entry.write_bytes(head + b"\n" + body[:i] + b"X" + body[i + 1 :])
    elif damage == "truncate":
        entry.write_bytes(raw[: len(raw) // 2])
    elif damage == "garbage":
        entry.write_bytes(b"\xff\x00 not json")
    else:
        data = json.loads(body)
        if damage == "valid checksum, wrong shape":
            data["rules"][3]["duty"] = "no such duty"
        else:
            data["rules"][0]["triggers"][0][1] = ["not", "a condition"]
        new = json.dumps(data).encode()
        entry.write_bytes(hashlib.sha256(new).hexdigest().encode() + b"\n" + new)
    _same_rules(load_rulebook(), fresh)  # validated again, the entry ignored
    with monkeypatch.context() as m:  # and stored anew, whole
        _no_validation(m)
        _same_rules(load_rulebook(), fresh)


def test_an_edited_rule_file_is_another_key_and_still_validated(
    cache: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", rules)
    load_rulebook(rules)
    path = rules / "articles" / "dieu-02.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("summary_en: ", "summary_en: Edited. ", 1), encoding="utf-8")
    edited = load_rulebook(rules)
    assert any(r.summary_en.startswith("Edited.") for r in edited)
    assert len(list(cache.glob("*.json"))) == 2
    _same_rules(edited, _validated(rules, monkeypatch))
    # a quote not in the text is refused on every load: a refused rulebook is never stored
    lines = text.splitlines()
    i = next(n for n, ln in enumerate(lines) if ln.strip().startswith("quote:")) + 1
    indent = lines[i][: len(lines[i]) - len(lines[i].lstrip())]
    lines[i] = indent + "một câu không có trong văn bản quy chế"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    for _ in range(2):
        with pytest.raises(RulebookError, match="quote"):
            load_rulebook(rules)
    assert len(list(cache.glob("*.json"))) == 2


def test_other_code_is_another_key(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The key holds the bytes of the code that validates: after an upgrade (or an edit of
    an editable install) the files are validated again."""
    book = load_rulebook()
    before = compiled.entry_path(book.content_hash)
    monkeypatch.setattr(compiled, "code_identity", lambda: "other code")
    assert compiled.entry_path(book.content_hash) != before
    load_rulebook()
    assert len(list(cache.glob("*.json"))) == 2


def test_the_cache_off_or_unwritable_costs_speed_only(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fresh = _validated(None, monkeypatch)
    cache.parent.mkdir(parents=True)
    cache.write_text("a file where the directory should be")
    _same_rules(load_rulebook(), fresh)
    monkeypatch.setenv("QUYCHE_NO_CACHE", "1")
    assert compiled.entry_path(fresh.content_hash) is None


def test_a_full_cache_drops_its_oldest_entries(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rule files edited many times never leave the rulebook in use uncached."""
    monkeypatch.setattr(compiled, "MAX_ENTRIES", 3)
    cache.mkdir(parents=True)
    for i in range(5):
        old = cache / f"{i:064x}.json"
        old.write_text("{}")
        os.utime(old, ns=(i * 10**9, i * 10**9))
    book = load_rulebook()
    entry = compiled.entry_path(book.content_hash)
    assert entry is not None and entry.is_file()
    assert sorted(e.name for e in cache.glob("*.json")) == sorted(
        [entry.name, f"{3:064x}.json", f"{4:064x}.json"]
    )
