"""The engine written down as data (``engine.snapshot``) answers as the engine does.

``engine.plain`` answers ``quyche notify FILE --json`` without building a pydantic model;
it must give the engine's answer byte for byte, or hand the event back (``None``) — never
answer an event the engine refuses, never answer differently. Checked here on every bundled
example, every scenario event, every class of events the rules tell apart (the analysis
layer's enumeration), generated events near every trigger, and on events changed field by
field into the forms the engine refuses or must judge.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quyche_rules.analysis.enumeration import enumerate_all, enumeration_date
from quyche_rules.engine import plain as plain_module
from quyche_rules.engine import snapshot, snapshot_cache
from quyche_rules.engine.engine import Engine
from quyche_rules.engine.plain import PlainEngine
from quyche_rules.errors import QuycheError
from quyche_rules.io import resources
from quyche_rules.io.yamlio import read_event
from quyche_rules.model import field_types
from quyche_rules.model.events import EVENT_TYPES
from quyche_rules.scenarios.scenario import load_scenario_file
from tests.strategies import events_near

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples" / "events").glob("*.yaml"))
SCENARIOS = sorted((ROOT / "tests" / "scenarios").glob("*.yaml"))


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine(backend="python")


@pytest.fixture(scope="module")
def plain(engine: Engine) -> PlainEngine:
    data = snapshot.build(engine)
    assert data is not None
    # through JSON, as the cache keeps it: tuples become lists, keys strings
    return PlainEngine(json.loads(json.dumps(data, ensure_ascii=False)), engine.calendar)


def _engine_answer(engine: Engine, event: Any) -> str:
    obs = engine.who_must_be_notified(event)
    return json.dumps([o.model_dump(mode="json") for o in obs], ensure_ascii=False)


def agree(engine: Engine, plain: PlainEngine, event: Any) -> bool:
    """True when the plain engine answered (and then exactly as the engine), False when it
    handed the event back. An event it answers but the engine refuses fails the test."""
    got = plain.answer(copy.deepcopy(event))
    if got is None:
        return False
    try:
        want = _engine_answer(engine, event)
    except QuycheError as exc:
        pytest.fail(f"answered an event the engine refuses ({exc}): {event!r}")
    assert json.dumps(got, ensure_ascii=False) == want, event
    return True


def test_every_example_is_answered_as_the_engine_answers(
    engine: Engine, plain: PlainEngine
) -> None:
    for path in EXAMPLES:
        event = read_event(path, file=path.name)
        assert agree(engine, plain, event), f"{path.name}: handed back"


def test_every_scenario_event(engine: Engine, plain: PlainEngine) -> None:
    answered = total = 0
    for path in SCENARIOS:
        for sc in load_scenario_file(path):
            for event in sc.events:
                total += 1
                answered += agree(engine, plain, event)
    assert total > 100 and answered >= 0.9 * total, (answered, total)


def test_every_class_the_rules_tell_apart(engine: Engine, plain: PlainEngine) -> None:
    """One event per class of every event type (``quyche rules check``'s enumeration): every
    condition of every rule on both of its sides, every way a class resolves."""
    on = enumeration_date(engine)
    types = enumerate_all([(engine.rulebook, engine.triggers)], engine.parties, on)
    classes = [c for t in types for c in t.classes]
    answered = sum(agree(engine, plain, c.event) for c in classes)
    assert len(classes) > 200 and answered >= 0.9 * len(classes), (answered, len(classes))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_generated_events_near_every_trigger(data: st.DataObject) -> None:
    engine, plain = _shared()
    agree(engine, plain, data.draw(events_near(engine.triggers)))


_SHARED: list[tuple[Engine, PlainEngine]] = []


def _shared() -> tuple[Engine, PlainEngine]:
    """The module's engine for a hypothesis test (fixtures do not reset between examples)."""
    if not _SHARED:
        engine = Engine(backend="python")
        data = snapshot.build(engine)
        assert data is not None
        _SHARED.append((engine, PlainEngine(data, engine.calendar)))
    return _SHARED[0]


ODD_VALUES: list[Any] = [
    None,
    1,
    1.5,
    True,
    "",
    " ",
    "2025-13-01",
    "20250123",
    " 2025-01-23",
    "1999-12-31",
    "2101-01-01",
    dt.datetime(2025, 1, 23, 8, 0),
    dt.date(2025, 1, 23),
    dt.date(1999, 1, 1),
    "2025-01-23",
    "2025-01-30",
    "Không có cơ quan này",
    "dang_uy_khoi",
    "Đảng ủy Khối",
    "ĐẢNG ỦY KHỐI",
    "dang uy khoi",
    unicodedata.normalize("NFD", "Đảng ủy Khối"),
    unicodedata.normalize("NFD", "Văn bản số 12 của Ban Nội chính"),
    "ban_noi_chinh_tinh_uy",
    "Ban Nội chính Tỉnh ủy",
    "lanh_dao_cac_co_quan_thuoc_khoi",
    "so_y_te",
    "CV-1/ĐUK",
    "line\nbreak",
    "bidi\u202eoverride",
    "x" * 2001,
    "x" * 2000,
    "general",
    "opinion",
    "information",
    "không",
    [],
    ["dang_uy_khoi"],
    ["Đảng ủy Khối", "ban_to_chuc_tinh_uy"],
    ["dang_uy_khoi", 3],
    {"a": 1},
]


def test_events_changed_field_by_field(engine: Engine, plain: PlainEngine) -> None:
    """Each example with one field given an odd value, removed, or one field added: the
    plain engine answers as the engine or hands the event back."""
    answered = tried = 0
    for path in EXAMPLES:
        base = read_event(path, file=path.name)
        fields = set(EVENT_TYPES[base["type"]].model_fields) - {"type"}
        variants: list[dict[str, Any]] = [{**base, "extra_field": 1}, {**base, "type": "x"}]
        variants += [{k: v for k, v in base.items() if k != name} for name in base]
        variants += [{**base, name: v} for name in sorted(fields) for v in ODD_VALUES]
        for event in variants:
            tried += 1
            answered += agree(engine, plain, event)
    # enough of them are answered for the comparison to mean something
    assert answered > 300 and tried > 3000, (answered, tried)


def test_what_the_engine_refuses_is_handed_back(plain: PlainEngine) -> None:
    good = {
        "type": "coordination_requested",
        "date": "2025-01-23",
        "requester": "Đảng ủy Khối",
        "requested": "Ban Nội chính Tỉnh ủy",
        "received_on": "2025-01-24",
    }
    assert plain.answer(good)
    for change in (
        {"date": "2025-02-30"},
        {"received_on": "2025-01-22"},  # before the date
        {"requested": "Không có"},
        {"type": "no_such_type"},
        {"topic": "weather"},
        {"reference": None},  # left to the engine, even if it would take it
        {"summary": "a\x1bb"},
    ):
        assert plain.answer({**good, **change}) is None, change
    assert plain.answer([good]) is None
    assert plain.answer("type: coordination_requested") is None


def test_the_snapshot_describes_every_event_model(engine: Engine) -> None:
    """The field tables are the models': every type, every field, the same required ones
    and defaults, so a field added to a model is in the table (or the type is left out,
    which this test also refuses)."""
    data = snapshot.build(engine)
    assert data is not None
    assert set(data["events"]) == set(EVENT_TYPES)
    for etype, model in EVENT_TYPES.items():
        table = data["events"][etype]["fields"]
        fields = {n: f for n, f in model.model_fields.items() if n != "type"}
        assert list(table) == list(fields)
        for name, f in fields.items():
            assert table[name][3] == f.is_required(), (etype, name)


def test_a_field_it_cannot_describe_leaves_its_type_to_the_engine() -> None:
    from pydantic import BaseModel, ConfigDict

    class Odd(BaseModel):
        model_config = ConfigDict(extra="forbid")
        type: str
        count: int

    with pytest.raises(snapshot.Unsupported):
        snapshot.event_fields(Odd)


def test_its_constants_are_the_models() -> None:
    assert plain_module.MIN_EVENT_YEAR == field_types.MIN_EVENT_YEAR
    assert plain_module.MAX_EVENT_YEAR == field_types.MAX_EVENT_YEAR
    assert plain_module._ISO_DATE.pattern == field_types._ISO_DATE.pattern
    assert plain_module._FORBIDDEN_TEXT.pattern == field_types._FORBIDDEN_TEXT.pattern


def test_an_engine_with_a_profile_is_not_written_down() -> None:
    assert snapshot.build(Engine(backend="python", profile="dak-lak")) is None


# --- the cache ----------------------------------------------------------------------------------


def test_entries_are_private_checked_and_keyed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, engine: Engine
) -> None:
    monkeypatch.setenv("QUYCHE_CACHE_DIR", str(tmp_path))
    rules = resources.rules_dir(None)
    entry = snapshot_cache.entry_path(rules)
    assert entry is not None
    path, key = entry
    data = snapshot.build(engine)
    assert data is not None
    snapshot_cache.write(path, key, data)
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.parent.stat().st_mode & 0o777 == 0o700
    assert snapshot_cache.read(path, key) == json.loads(json.dumps(data, ensure_ascii=False))
    assert snapshot_cache.read(path, "another key") is None  # an entry of another key
    raw = path.read_bytes()
    path.write_bytes(raw.replace(b'"dang_uy_khoi"', b'"dang_uy_khoX"', 1))
    assert snapshot_cache.read(path, key) is None  # damaged: the checksum fails
    path.write_bytes(b"not an entry")
    assert snapshot_cache.read(path, key) is None
    monkeypatch.setenv("QUYCHE_NO_CACHE", "1")
    assert snapshot_cache.entry_path(rules) is None


def test_the_key_follows_every_rule_file(tmp_path: Path) -> None:
    import shutil

    copy_dir = tmp_path / "rules"
    shutil.copytree(resources.rules_dir(None), copy_dir)
    before = snapshot_cache.key(copy_dir)
    assert snapshot_cache.key(copy_dir) == before
    article = sorted((copy_dir / resources.ARTICLES).glob("*.yaml"))[-1]
    article.write_bytes(article.read_bytes() + b"\n")
    after_article = snapshot_cache.key(copy_dir)
    parties = copy_dir / resources.PARTIES
    parties.write_bytes(parties.read_bytes() + b"\n")
    assert len({before, after_article, snapshot_cache.key(copy_dir)}) == 3
    assert re.fullmatch("[0-9a-f]{64}", before)


def test_duties_merge_as_the_engine_merges(engine: Engine) -> None:
    """Two rules stating one duty are given once (``merge_duties``): the packaged rulebook
    has no such pair for one event, so the pair is made here from a real obligation."""
    from quyche_rules.model.obligations import merge_duties

    event = read_event(EXAMPLES[1], file="e")
    [ob] = engine.who_must_be_notified(event)
    assert ob.due is not None
    twin = ob.model_copy(
        update={
            "rule_id": "x.twin",
            "conditions": ("type = x", *ob.conditions),
            "due": ob.due - dt.timedelta(days=1),
            "due_computation": "earlier",
        }
    )
    other = ob.model_copy(update={"document": "another letter"})
    for obs in ([ob, twin], [twin, ob], [ob, other, twin], [ob, ob]):
        want = [o.model_dump(mode="json") for o in merge_duties(obs)]
        got = plain_module._merge_duties([_dumped(o) for o in obs])
        for g in got:
            g["due"] = g["due"].isoformat() if isinstance(g["due"], dt.date) else g["due"]
        assert got == want


def _dumped(ob: Any) -> dict[str, Any]:
    """An obligation as the plain engine holds it before its due date is written out."""
    out: dict[str, Any] = ob.model_dump(mode="json")
    out["due"] = ob.due
    return out


def test_a_body_with_dates_of_validity_is_left_to_the_engine(engine: Engine) -> None:
    data = snapshot.build(engine)
    assert data is not None
    event = read_event(EXAMPLES[1], file="e")
    assert PlainEngine(data, engine.calendar).answer(event)
    data["parties"]["ban_noi_chinh_tinh_uy"]["dated"] = True
    assert PlainEngine(data, engine.calendar).answer(event) is None
