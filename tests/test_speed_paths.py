"""The fast paths of issue 10 give the answers of the slow ones: obligation templates (and
the pydantic internals they rely on), the indexed Python matcher, the durable memo, the
memo of party names, the flat-JSON reader, compact JSON out, the lazy calendar, and the
durable-rules capacity headroom. No timings here: speed is measured in ``benchmarks/``."""

from __future__ import annotations

import datetime as dt
import json
import pickle
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from quyche_rules.cli.main import app
from quyche_rules.engine.backends import (
    DURABLE_HEADROOM,
    CompiledTrigger,
    PythonBackend,
    _required,
    durable_definition,
    reference_match,
)
from quyche_rules.engine.engine import Engine
from quyche_rules.io.jsonin import flat_json_event
from quyche_rules.io.yamlio import EVENT_LIMITS, event_error, parse_yaml
from quyche_rules.model import parties as parties_module
from quyche_rules.model.event_checks import condition_fields, parse_event
from quyche_rules.model.obligations import Obligation
from quyche_rules.model.parties import load_parties
from quyche_rules.rulebook.conditions import All, Eq, evaluate

from .strategies import events_near

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples" / "events").glob("*.yaml"))


def _examples() -> list[dict[str, Any]]:
    return [yaml.safe_load(p.read_text(encoding="utf-8")) for p in EXAMPLES]


# --- obligation templates ---------------------------------------------------------------------


def test_template_obligations_are_what_pydantic_would_build(engines: dict[str, Engine]) -> None:
    """Pins ``ObligationTemplate.fill``'s reliance on pydantic's instance layout: a filled
    obligation must be indistinguishable from ``model_construct`` and from full validation
    (equality, hash, dumps, copy with update, pickling, frozenness)."""
    seen = 0
    for data in _examples():
        for o in engines["python"].who_must_be_notified(data):
            seen += 1
            constructed = Obligation.model_construct(**dict(o))
            validated = Obligation.model_validate(o.model_dump())
            assert o == constructed == validated
            assert hash(o) == hash(validated)
            assert o.model_fields_set == constructed.model_fields_set
            assert o.model_dump_json() == validated.model_dump_json()
            assert o.__pydantic_extra__ is None and o.__pydantic_private__ is None
            assert o.model_copy(update={"note": "x"}).note == "x"
            assert o.note == validated.note  # the copy did not touch the original
            assert pickle.loads(pickle.dumps(o)) == o
            with pytest.raises(ValueError):
                o.rule_id = "changed"  # type: ignore[misc]
    assert seen > 10


def test_shared_obligations_are_the_same_answer_each_time(engines: dict[str, Engine]) -> None:
    e = engines["python"]
    for data in _examples():
        first = e.who_must_be_notified(data)
        again = e.who_must_be_notified(data)
        assert first == again
        assert [o.model_dump() for o in first] == [o.model_dump() for o in again]


def test_a_reference_is_set_at_birth_and_never_leaks_into_other_answers(
    engines: dict[str, Engine],
) -> None:
    """``document`` is filled as each obligation is built (no copy afterwards): each answer
    names its own event's reference, with every other field what the copy used to give,
    and the shared obligations of a rule with nothing event-dependent stay untouched."""
    for e in engines.values():
        for data in _examples():
            bare = {k: v for k, v in data.items() if k != "reference"}
            plain = e.who_must_be_notified(bare)
            ref_a = e.who_must_be_notified({**bare, "reference": "12/CV-A"})
            ref_b = e.who_must_be_notified({**bare, "reference": "34/CV-B"})
            assert [o.document for o in plain] == [None] * len(plain)
            assert [o.document for o in ref_a] == ["12/CV-A"] * len(plain)
            assert [o.document for o in ref_b] == ["34/CV-B"] * len(plain)
            copied = [o.model_copy(update={"document": "12/CV-A"}) for o in plain]
            assert [o.model_dump() for o in ref_a] == [o.model_dump() for o in copied]
            # asked again without a reference: nothing of the earlier answers stuck
            assert e.who_must_be_notified(bare) == plain


# --- the indexed matcher ----------------------------------------------------------------------


def _grown(triggers: list[CompiledTrigger], factor: int) -> list[CompiledTrigger]:
    """The rulebook ×factor: each trigger copied with one more party condition, its value a
    real party id (so copies do fire) or one no event holds."""
    ids = ["no_such_body", *sorted(p.id for p in load_parties())]
    out = list(triggers)
    for i in range(1, factor):
        for t in triggers:
            fields = condition_fields(t.event_type)
            party = sorted(n for n, f in fields.items() if f.kind == "party")
            if not party:
                continue
            extra = Eq(party[i % len(party)], ids[(i * 7 + t.index) % len(ids)])
            cond = extra if t.condition is None else All((extra, t.condition))
            out.append(CompiledTrigger(f"{t.key}~{i}", t.rule_id, t.index, t.event_type, cond))
    return out


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_index_files_each_trigger_under_every_value_that_can_fire_it(
    engines: dict[str, Engine], data: st.DataObject
) -> None:
    e = engines["python"]
    ev = data.draw(events_near(e.triggers))
    fact = e.fact(parse_event(ev))
    for t in e.triggers:
        if t.event_type == fact["type"] and t.condition is not None and evaluate(t.condition, fact):
            for f, values in _required(t.condition).items():
                assert fact.get(f) in values, (t.key, f)


_GROWN: list[tuple[list[CompiledTrigger], PythonBackend]] = []


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_indexed_matcher_agrees_with_the_reference_on_a_grown_rulebook(
    engines: dict[str, Engine], data: st.DataObject
) -> None:
    if not _GROWN:  # built once: hypothesis calls this test many times
        grown = _grown(engines["python"].triggers, 10)
        _GROWN.append((grown, PythonBackend(grown)))
    grown, backend = _GROWN[0]
    ev = data.draw(events_near(engines["python"].triggers))  # copies name real bodies too
    fact = engines["python"].fact(parse_event(ev))
    assert backend.match(fact) == reference_match(grown, fact)


# --- durable: the memo, the capacity ----------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_durable_memo_answers_as_durable_rules_does(
    engines: dict[str, Engine], data: st.DataObject
) -> None:
    memo = engines["durable"]  # memo on: the default
    bare = _bare_durable()
    batch = data.draw(st.lists(events_near(memo.triggers), min_size=5, max_size=5))
    for ev in batch * 2:  # the second round hits the memo
        fact = memo.fact(parse_event(ev))
        assert memo.backend.match(fact) == bare.backend.match(fact)
        assert memo.who_must_be_notified(ev) == bare.who_must_be_notified(ev)


_BARE: list[Engine] = []


def _bare_durable() -> Engine:
    if not _BARE:
        _BARE.append(Engine(backend="durable", durable_memo=0))
    return _BARE[0]


def test_durable_memo_is_bounded_and_counts_hits(book: Any) -> None:
    e = Engine(book, backend="durable", durable_memo=3)
    examples = _examples()
    for data in examples:
        e.who_must_be_notified(data)
    backend: Any = e.backend
    assert len(backend._memo) == 3
    hits = backend.memo_hits
    e.who_must_be_notified(examples[-1])
    assert backend.memo_hits == hits + 1
    e.close()


def test_durable_memo_size_is_checked(book: Any) -> None:
    from quyche_rules.errors import QuycheError

    with pytest.raises(QuycheError, match="memo_size"):
        Engine(book, backend="durable", durable_memo=-1)


def test_durable_rules_compiles_the_rulebook_with_headroom(engines: dict[str, Engine]) -> None:
    """durable-rules refuses rulesets past fixed per-node list sizes (about ×20-25 of the
    rulebook of issue 10). This compiles the current rulebook ×DURABLE_HEADROOM: it fails
    once the rulebook has grown to about a fifth of the ceiling, well before a deployment
    would meet ``ERR_RULE_EXISTS_LIMIT_EXCEEDED``. Then replace the matcher, don't raise
    the headroom."""
    from durable import engine as dr

    class NoHost:
        def get_action(self, name: str) -> Any:
            raise LookupError(name)

    base = durable_definition(engines["python"].triggers)
    definition = {
        f"{k}~{i}": {**v, "run": lambda c: None}
        for i in range(DURABLE_HEADROOM)
        for k, v in base.items()
    }
    dr.Ruleset("headroom_check", NoHost(), definition)  # raises past the ceiling


# --- party names ------------------------------------------------------------------------------


def test_party_name_memo_is_bounded_and_right(monkeypatch: pytest.MonkeyPatch) -> None:
    reg = load_parties()
    monkeypatch.setattr(parties_module, "RESOLVE_MEMO_SIZE", 4)
    some = sorted(reg, key=lambda p: p.id)[:8]
    for p in some:
        for ref in (p.name_vi, p.name_vi.upper(), p.id):
            assert reg.resolve(ref).id == p.id
            assert reg.resolve(ref).id == p.id  # from the memo
    assert len(reg._resolved) == 4
    with pytest.raises(KeyError):
        reg.resolve("no such body")
    assert "no such body" not in reg._resolved


# --- bytes in, JSON out -----------------------------------------------------------------------

_flat = st.dictionaries(
    st.text(min_size=1, max_size=8),
    st.one_of(
        st.none(),
        st.booleans(),
        st.text(max_size=12),
        st.lists(st.text(max_size=6), max_size=4),
    ),
    max_size=6,
)


@settings(max_examples=300, deadline=None)
@given(data=_flat)
def test_flat_json_reader_reads_what_the_careful_reader_reads(data: dict[str, Any]) -> None:
    line = json.dumps(data, ensure_ascii=bool(len(data) % 2)).encode("utf-8", "surrogatepass")
    fast = flat_json_event(line, EVENT_LIMITS)
    try:
        careful = parse_yaml(line, file="<line>", limits=EVENT_LIMITS, error=event_error)
    except Exception:
        careful = None
    if fast is not None:
        assert fast == careful


@pytest.mark.parametrize(
    "line",
    [
        b'{"type": "a", "type": "b"}',  # duplicate key: the careful reader refuses it
        b'{"type": "a", "n": 1.5}',
        b'{"type": "a", "n": 10}',
        b'{"type": {"x": "y"}}',
        b'\xef\xbb\xbf{"type": "a"}',
        b'{"type": "\\ud800"}',
        b"[1, 2]",
        b'{"type": "a"',
    ],
)
def test_flat_json_reader_leaves_the_rest_to_the_careful_reader(line: bytes) -> None:
    assert flat_json_event(line, EVENT_LIMITS) is None


def test_notify_json_is_compact_unless_indented() -> None:
    runner = CliRunner()
    path = str(EXAMPLES[0])
    compact = runner.invoke(app, ["notify", "--json", "--backend", "python", path])
    people = runner.invoke(app, ["notify", "--json", "--indent", "2", "--backend", "python", path])
    assert compact.exit_code == 0 and people.exit_code == 0
    assert json.loads(compact.output) == json.loads(people.output)
    assert compact.output.count("\n") == 1 and "\n  " in people.output
    bad = runner.invoke(app, ["notify", "--json", "--indent", "-1", path])
    assert bad.exit_code == 2 and "--indent" in bad.output


# --- cold start -------------------------------------------------------------------------------


def test_a_recorded_year_needs_neither_holidays_nor_the_next_year() -> None:
    """``holidays`` is imported only for unrecorded years, and a deadline inside a recorded
    year builds no table of the next one (it would estimate it from ``holidays``)."""
    code = (
        "import sys; from quyche_rules import Engine; e = Engine(backend='python'); "
        "obs = e.who_must_be_notified({'type': 'coordination_requested', 'date': '2026-03-02',"
        " 'requester': 'ban_to_chuc_tinh_uy', 'requested': 'dang_uy_khoi',"
        " 'received_on': '2026-03-02'}); "
        "assert any(o.due for o in obs), obs; "
        "print('holidays' in sys.modules, e.calendar._years)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split()[0] == "False", out.stdout
    assert "2027" not in out.stdout


# --- the parse cache --------------------------------------------------------------------------


def test_parse_cache_gives_the_parse_and_survives_damage(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from quyche_rules.io.parse_cache import _exact, load_yaml

    cache = tmp_path / "cache"
    monkeypatch.setenv("QUYCHE_CACHE_DIR", str(cache))
    monkeypatch.delenv("QUYCHE_NO_CACHE", raising=False)
    source = ROOT / "rules" / "parties.yaml"
    rule = tmp_path / "parties.yaml"
    rule.write_bytes(source.read_bytes())
    fresh = parse_yaml(rule.read_bytes(), file="parties.yaml")
    assert load_yaml(rule) == fresh  # miss: parsed and stored
    (entry,) = cache.glob("*.json")
    assert load_yaml(rule) == fresh  # hit
    entry.write_bytes(b'{"key": "not this one", "data": []}')
    assert load_yaml(rule) == fresh  # an entry for another key is ignored
    entry.write_bytes(b"\xff garbage")
    assert load_yaml(rule) == fresh  # an unreadable entry is ignored
    rule.write_text(rule.read_text(encoding="utf-8") + "\n# changed\n", encoding="utf-8")
    assert load_yaml(rule) == fresh and len(list(cache.glob("*.json"))) == 2  # new key
    monkeypatch.setenv("QUYCHE_NO_CACHE", "1")
    assert load_yaml(rule) == fresh and len(list(cache.glob("*.json"))) == 2
    assert not _exact({"d": dt.date(2026, 1, 1)}) and not _exact({1: "x"})
    assert _exact({"a": [1, True, None, "x", 1.5]})


def test_a_cached_parse_never_lets_an_invalid_rule_through(
    rules_copy: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Only parsing is cached: a rule whose quote is not in the text is refused on every
    load, cache or not."""
    from quyche_rules.errors import RulebookError
    from quyche_rules.rulebook.loader import load_rulebook

    monkeypatch.setenv("QUYCHE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("QUYCHE_NO_CACHE", raising=False)
    path = rules_copy / "articles" / "dieu-02.yaml"
    lines = path.read_text(encoding="utf-8").splitlines()
    i = next(n for n, ln in enumerate(lines) if ln.strip().startswith("quote:")) + 1
    indent = lines[i][: len(lines[i]) - len(lines[i].lstrip())]
    lines[i] = indent + "một câu không có trong văn bản quy chế"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    for _ in range(2):
        with pytest.raises(RulebookError):
            load_rulebook(rules_copy)
