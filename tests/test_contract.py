"""The library contract: version, typing marker, one error base, argument checks, the
rules directory chosen on purpose, a complete rulebook or none, machine-readable output."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import quyche_rules
from quyche_rules import (
    Engine,
    QuycheError,
    RulebookError,
    WorkingCalendar,
    duties_of,
    explain,
    load_rulebook,
    parse_event,
    who_must_be_notified,
)
from quyche_rules.cli.main import app
from quyche_rules.rulebook.loader import Rulebook

ROOT = Path(__file__).resolve().parents[1]
EVENT = {
    "type": "coordination_requested",
    "date": "2025-01-23",
    "requester": "Đảng ủy Khối",
    "requested": "Ban Nội chính Tỉnh ủy",
    "received_on": "2025-01-24",
}
WRONG: list[Any] = [None, 1, 2.5, b"bytes", ["list"], {"a": 1}, object(), True]
runner = CliRunner()


def test_version_comes_from_the_package_metadata() -> None:
    from importlib.metadata import version

    assert quyche_rules.__version__ == version("quyche-rules")


def test_package_is_typed() -> None:
    assert resources.files("quyche_rules").joinpath("py.typed").is_file()


def test_every_public_error_is_a_quyche_error() -> None:
    for name in quyche_rules.__all__:
        obj = getattr(quyche_rules, name)
        if isinstance(obj, type) and issubclass(obj, BaseException):
            assert issubclass(obj, QuycheError), name


def test_errors_are_one_bounded_line() -> None:
    err = QuycheError("a\nb\x1b[31m" + "x" * 10_000)
    assert "\n" not in str(err) and "\x1b" not in str(err) and len(str(err)) <= 400


@pytest.mark.parametrize("bad", WRONG, ids=[type(w).__name__ for w in WRONG])
def test_wrong_argument_types_raise_quyche_error(bad: Any, engines: dict[str, Engine]) -> None:
    engine = engines["python"]
    calls = [
        lambda: engine.who_must_be_notified(bad),
        lambda: who_must_be_notified(bad),
        lambda: engine.explain(bad),
        lambda: explain(bad),
        lambda: parse_event(bad),
        lambda: Engine(backend=bad),
        lambda: Engine(rulebook=bad) if bad is not None else Engine(rulebook=1),  # type: ignore[arg-type]
        lambda: Engine(calendar=bad) if bad is not None else Engine(calendar=1),  # type: ignore[arg-type]
        lambda: WorkingCalendar().deadline(bad, 7),
        lambda: parse_event(EVENT, registry=bad if bad is not None else 1),  # type: ignore[arg-type]
        lambda: WorkingCalendar().deadline(EVENT["date"], bad),
    ]
    if not isinstance(bad, str | os.PathLike) and bad is not None:
        calls.append(lambda: load_rulebook(bad))
        calls.append(lambda: WorkingCalendar(bad))
        calls.append(lambda: Engine(rules_dir=bad))
    if not isinstance(bad, str):
        calls.append(lambda: engine.duties_of(bad))
        calls.append(lambda: duties_of(bad))
    for call in calls:
        with pytest.raises(QuycheError):
            call()


def test_unknown_names_raise_quyche_error(engines: dict[str, Engine]) -> None:
    engine = engines["python"]
    with pytest.raises(QuycheError, match="unknown party"):
        engine.duties_of("Ban Không Tồn Tại")
    ob = engine.who_must_be_notified(EVENT)[0]
    with pytest.raises(QuycheError, match="unknown rule id"):
        engine.explain(ob.model_copy(update={"rule_id": "art99.nothing"}))
    with pytest.raises(QuycheError, match="backend"):
        Engine(backend="bogus")  # type: ignore[arg-type]


def test_closed_engine_refuses_and_context_manager_closes(book: Rulebook) -> None:
    with Engine(book, backend="durable") as engine:
        assert engine.who_must_be_notified(EVENT)
    with pytest.raises(QuycheError, match="closed"):
        engine.who_must_be_notified(EVENT)
    engine.close()  # idempotent


def test_content_hash_is_stable_and_sees_every_byte(book: Rulebook, rules_copy: Path) -> None:
    assert len(book.content_hash) == 64
    assert load_rulebook(rules_copy).content_hash == book.content_hash  # location-independent
    path = rules_copy / "articles" / "dieu-18.yaml"
    path.write_bytes(path.read_bytes() + b"\n# a comment\n")
    assert load_rulebook(rules_copy).content_hash != book.content_hash


def test_rules_dir_argument_and_environment(rules_copy: Path, monkeypatch: Any) -> None:
    (rules_copy / "articles" / "dieu-18.yaml").unlink()
    with pytest.raises(RulebookError, match="no rule file for Điều 18"):
        Engine(rules_dir=rules_copy)
    monkeypatch.setenv("QUYCHE_RULES_DIR", str(rules_copy))
    with pytest.raises(RulebookError, match="no rule file for Điều 18"):
        load_rulebook()
    r = runner.invoke(app, ["rules", "show", "art3.1.respond"])
    assert r.exit_code == 2 and "Điều 18" in r.output
    monkeypatch.setenv("QUYCHE_RULES_DIR", str(rules_copy / "nowhere"))
    with pytest.raises(RulebookError, match="not a directory"):
        load_rulebook()


@pytest.mark.parametrize("damage", ["delete", "empty", "rename", "drop_unit"])
def test_incomplete_rulebook_is_refused_at_load(rules_copy: Path, damage: str) -> None:
    art = rules_copy / "articles" / "dieu-07.yaml"
    if damage == "delete":
        art.unlink()
    elif damage == "empty":
        art.write_text("article: 7\ntitle: x\n", encoding="utf-8")
    elif damage == "rename":
        art.rename(art.with_suffix(".yml"))
    else:  # Art. 1 is accounted for by non_actionable reasons only
        art = rules_copy / "articles" / "dieu-01.yaml"
        text = art.read_text(encoding="utf-8")
        start = text.index("non_actionable:")
        art.write_text(text[:start], encoding="utf-8")
    with pytest.raises(RulebookError) as info:
        load_rulebook(rules_copy)
    assert "\n" not in str(info.value)
    assert "incomplete rulebook" in str(info.value) or "title" in str(info.value)
    # coverage still loads it, to show the gaps
    r = runner.invoke(app, ["--rules-dir", str(rules_copy), "rules", "coverage"])
    assert r.exit_code in (1, 2)


def test_duplicate_key_in_a_rule_file_is_refused_with_its_line(rules_copy: Path) -> None:
    art = rules_copy / "articles" / "dieu-03.yaml"
    lines = art.read_text(encoding="utf-8").splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if line.strip().startswith("obligated:"))
    lines.insert(at + 1, lines[at])
    art.write_text("".join(lines), encoding="utf-8")
    with pytest.raises(RulebookError, match=f"dieu-03.yaml:{at + 2}: duplicate key 'obligated'"):
        load_rulebook(rules_copy)


def test_version_option_prints_version_and_hash(book: Rulebook) -> None:
    r = runner.invoke(app, ["--version"])
    assert r.exit_code == 0
    assert quyche_rules.__version__ in r.output and book.content_hash in r.output


def test_schemas_declare_their_dialect_and_dates() -> None:
    for kind in ("events", "obligations"):
        r = runner.invoke(app, ["schema", kind])
        schema = json.loads(r.output)
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        assert '"format": "date"' in r.output
    r = runner.invoke(app, ["schema", "obligations"])
    assert json.loads(r.output)["items"]["properties"]["due"]["anyOf"][0]["format"] == "date"


def test_json_has_one_shape_for_one_file_or_many() -> None:
    a = str(ROOT / "examples/events/03-1-de-nghi-phoi-hop-truoc-tet.yaml")
    b = str(ROOT / "examples/events/02-2-bat-dong-y-kien.yaml")
    one = json.loads(runner.invoke(app, ["notify", a, "--json"]).output)
    two = json.loads(runner.invoke(app, ["notify", a, b, "--json"]).output)
    assert isinstance(one, list) and all(o["event_file"] == a for o in one)
    assert two[: len(one)] == one and {o["event_file"] for o in two} == {a, b}


def test_jsonl_streams_one_line_per_event_and_survives_bad_lines() -> None:
    good = json.dumps(EVENT, ensure_ascii=False)
    lines = [good, "{not json", '{"type": "nope"}', "", good, "x" * 400]
    r = runner.invoke(app, ["notify", "--jsonl", "--max-bytes", "300"], input="\n".join(lines))
    records = [json.loads(line) for line in r.stdout.splitlines()]
    assert [rec["event"] for rec in records] == [f"<stdin>:{n}" for n in (1, 2, 3, 5, 6)]
    assert [("error" in rec) for rec in records] == [False, True, True, False, True]
    assert records[0]["obligations"][0]["due"] == "2025-02-11"
    assert "larger than 300 bytes" in records[4]["error"]
    assert r.exit_code == 2


def test_ics_is_atomic_refuses_symlinks_and_keeps_one_uid_per_document(tmp_path: Path) -> None:
    def uid(data: bytes) -> bytes:
        return next(line for line in data.splitlines() if line.startswith(b"UID:"))

    ics = tmp_path / "d.ics"
    uids = []
    for doc in ("12/UBND", "13/UBND"):
        r = runner.invoke(app, ["deadline", "2025-01-24", "--ics", str(ics), "--document", doc])
        assert r.exit_code == 0, r.output
        uids.append(uid(ics.read_bytes()))
    assert uids[0] != uids[1]  # same-day receipts do not overwrite each other
    assert [p.name for p in tmp_path.iterdir()] == ["d.ics"]  # no temporary file left
    # a corrected due date for the same document is an update of the same event
    cal = WorkingCalendar()
    d = cal.deadline(dt.date(2025, 1, 24), 7)
    corrected = dataclasses.replace(d, due=d.due + dt.timedelta(days=1))
    key = "12/UBND\x1f2025-01-24\x1f7"
    a = WorkingCalendar.to_ics(d, "Hạn", uid_key=key)
    b = WorkingCalendar.to_ics(corrected, "Hạn", uid_key=key)
    assert uid(a) == uid(b) and a != b
    target = tmp_path / "target.txt"
    target.write_text("keep", encoding="utf-8")
    link = tmp_path / "link.ics"
    link.symlink_to(target)
    r = runner.invoke(app, ["deadline", "2025-01-24", "--ics", str(link)])
    assert r.exit_code == 2 and "symbolic link" in r.output
    assert target.read_text(encoding="utf-8") == "keep"
    r = runner.invoke(app, ["deadline", "2025-01-24", "--ics", str(tmp_path / "no/dir/x.ics")])
    assert r.exit_code == 2 and "cannot write" in r.output


def test_calendar_file_goes_through_the_bounded_reader(tmp_path: Path) -> None:
    path = tmp_path / "cal.yaml"
    path.write_text("schema_version: 1\nschema_version: 1\nyears: {}\n", encoding="utf-8")
    with pytest.raises(RulebookError, match=r"cal\.yaml:2: duplicate key 'schema_version'"):
        WorkingCalendar(path)


def test_event_size_limit_is_configurable(tmp_path: Path, monkeypatch: Any) -> None:
    event = tmp_path / "e.json"
    event.write_text(json.dumps(EVENT, ensure_ascii=False), encoding="utf-8")
    size = event.stat().st_size
    assert runner.invoke(app, ["notify", str(event)]).exit_code == 0
    r = runner.invoke(app, ["notify", str(event), "--max-bytes", str(size - 1)])
    assert r.exit_code == 2 and f"larger than {size - 1} bytes" in r.output
    monkeypatch.setenv("QUYCHE_MAX_EVENT_BYTES", str(size - 1))
    r = runner.invoke(app, ["notify", str(event)])
    assert r.exit_code == 2 and f"larger than {size - 1} bytes" in r.output
    monkeypatch.setenv("QUYCHE_MAX_EVENT_BYTES", "lots")
    r = runner.invoke(app, ["notify", str(event)])
    assert r.exit_code == 2 and "QUYCHE_MAX_EVENT_BYTES" in r.output
