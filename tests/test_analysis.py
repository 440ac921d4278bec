"""The exhaustive analysis: the enumeration of event classes, ``rules check``, the backends
compared on every class, and ``rules diff`` on real edits of a copy of the rules."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema_rs
import pytest
from typer.testing import CliRunner

from quyche_rules.analysis.check import NO_ONE, CheckReport, conflicts, to_json
from quyche_rules.analysis.classes import EventClass, TypeEnumeration, atoms_of
from quyche_rules.analysis.diff import DiffReport, diff
from quyche_rules.analysis.diff import to_json as diff_json
from quyche_rules.analysis.enumeration import ClassResult, parse_all
from quyche_rules.analysis.schemas import check_schema, diff_schema
from quyche_rules.cli.main import app
from quyche_rules.engine.backends import reference_match
from quyche_rules.engine.engine import Engine
from quyche_rules.model.obligations import PartyOut
from quyche_rules.model.vocabulary import Duty
from quyche_rules.rulebook.conditions import AnyOf, Contains

runner = CliRunner()


@pytest.fixture(scope="module")
def report(check_report: CheckReport) -> CheckReport:
    return check_report


@pytest.fixture(scope="module")
def profile_report(profile_check_report: CheckReport) -> CheckReport:
    return profile_check_report


def _classes(report: CheckReport) -> list[EventClass]:
    return [c for t in report.types for c in t.classes]


Facts = list[dict[str, object]]


def _facts(engine: Engine, report: CheckReport) -> Facts:
    """The distinct projected facts of every class: what a backend is asked."""
    out: dict[str, dict[str, object]] = {}
    for ev in parse_all(engine, _classes(report)):
        assert not isinstance(ev, str), ev
        f = engine.fact(ev)
        out[json.dumps(f, sort_keys=True)] = f
    return list(out.values())


@pytest.fixture(scope="module")
def facts(report: CheckReport, engines: dict[str, Engine]) -> Facts:
    return _facts(engines["python"], report)


@pytest.fixture(scope="module")
def profile_facts(profile_report: CheckReport, profile_engines: dict[str, Engine]) -> Facts:
    return _facts(profile_engines["python"], profile_report)


# --- the enumeration ------------------------------------------------------------------------


def test_every_class_is_a_valid_event_and_classes_are_distinct(report: CheckReport) -> None:
    assert report.refused == []
    keys = [c.key for c in _classes(report)]
    assert len(keys) == len(set(keys))
    for t in report.types:
        assert not t.partitioned  # today every type fits whole: no type was split
        assert len(t.classes) == t.product
        assert t.skipped == []


def test_every_trigger_fires_in_some_class(facts: Facts, engines: dict[str, Engine]) -> None:
    """The classes reach every trigger: nothing the rules can tell apart is missed."""
    python = engines["python"]
    fired: set[str] = set()
    for f in facts:
        fired |= python.backend.match(f)
    assert {t.key for t in python.triggers} - fired == set()


def test_every_value_a_condition_names_is_a_class_value(
    profile_report: CheckReport, profile_engines: dict[str, Engine]
) -> None:
    """Each value a (widened) condition names, a profile's bodies included, is a member of
    some value group of its field: none is lost between the rules and the classes."""
    engine = profile_engines["python"]
    members: dict[tuple[str, str], set[object]] = {}
    for t in profile_report.types:
        for c in t.classes:
            for v in c.values:
                members.setdefault((t.event_type, v.field), set()).update(v.members)
    named = 0
    for trig in engine.triggers:
        for atom in atoms_of(trig.condition, trig.key):
            missing = set(atom.values) - members[(trig.event_type, atom.field)]
            assert missing == set(), (trig.key, atom.field, missing)
            named += len(atom.values)
    assert named > 500
    # a widened {contains: class} reads as one test of the list
    cond = AnyOf((Contains("related_bodies", "a"), Contains("related_bodies", "b")))
    (atom,) = atoms_of(cond, "r#0")
    assert atom.values == frozenset({"a", "b"}) and atom.field == "related_bodies"


# --- rules check ----------------------------------------------------------------------------


def test_packaged_rulebook_has_no_duplicates_or_conflicts(
    report: CheckReport, profile_report: CheckReport
) -> None:
    for r in (report, profile_report):
        assert r.duplicates == [] and r.conflicts == [] and r.ok
    assert profile_report.profile == "dak-lak.yaml"
    assert sum(len(t.classes) for t in report.types) > 1000


def test_silent_groups_cover_exactly_the_silent_classes(report: CheckReport) -> None:
    silent = [r.cls for r in report.results if not r.obligations]
    assert sum(g.classes for g in report.silent) == len(silent) > 0
    # the lifecycle events no rule listens to are silent as a whole: no field names them
    whole = {g.event_type for g in report.silent if g.when == ()}
    assert {"coordination_answered", "coordination_withdrawn"} <= whole
    # why: no rule listens; a body that would owe itself; the written condition unmet
    assert all(g.unmet == () for g in report.silent if g.event_type in whole)
    (own,) = [g for g in report.silent if g.event_type == "issue_arose"]
    assert own.when == (("related_parties", ("[dang_uy_khoi]",)),)
    assert {conds for _, conds in own.unmet} == {(NO_ONE,)}
    unmet = [
        dict(g.unmet).get("art10.3.invite-thuong-truc-dang-uy-khoi")
        for g in report.silent
        if g.event_type == "meeting_planned"
        and dict(g.when).get("kind") == ("hdnd_public_session",)
    ]
    assert ("concerns_bloc = true",) in unmet
    # each group's conditions hold for exactly as many silent classes as it counts
    for g in report.silent:
        inside = [
            c
            for c in silent
            if c.event_type == g.event_type
            and all(next(v.label for v in c.values if v.field == f) in vals for f, vals in g.when)
        ]
        assert len(inside) >= g.classes


def test_check_json_follows_its_schema(profile_report: CheckReport) -> None:
    """On a report cut to the types with fewer classes (the schema, not the size, is what
    is tested; the whole JSON is about 30 MB)."""
    small = [t for t in profile_report.types if len(t.classes) <= 100]
    keys = {c.key for t in small for c in t.classes}
    cut = CheckReport(
        profile_report.profile,
        profile_report.date,
        small,
        [r for r in profile_report.results if r.cls.key in keys],
        silent=profile_report.silent,
    )
    data = json.loads(json.dumps(to_json(cut), ensure_ascii=False, default=str))
    jsonschema_rs.validator_for(check_schema()).validate(data)
    assert data["ok"] is True and data["date"] == profile_report.date.isoformat()
    assert len(data["classes"]) == len(keys) > 100


def test_a_duplicated_rule_is_reported_and_fails_the_check(rules_copy: Path) -> None:
    path = rules_copy / "articles" / "dieu-10.yaml"
    text = path.read_text(encoding="utf-8")
    start = text.index("  - id: art10.3.invite-thuong-truc-dang-uy-khoi")
    end = text.index("  - id: ", start + 10)
    copy = text[start:end].replace(
        "id: art10.3.invite-thuong-truc-dang-uy-khoi", "id: art10.3.invite-again", 1
    )
    path.write_text(text[:end] + copy + text[end:], encoding="utf-8")
    r = runner.invoke(
        app, ["--rules-dir", str(rules_copy), "rules", "check", "--backend", "python"]
    )
    assert r.exit_code == 1, r.output
    assert "Trùng lặp / duplicates: 1" in r.output
    line = next(x for x in r.output.splitlines() if "art10.3.invite-again" in x)
    assert "art10.3.invite-thuong-truc-dang-uy-khoi" in line
    assert "convened_by=hdnd_tinh" in line and "kind=hdnd_public_session" in line


def test_conflicts_from_the_vocabulary(engines: dict[str, Engine]) -> None:
    """A body that chairs while only invited, and two unrelated chairs of one matter."""
    python = engines["python"]
    event = {
        "type": "meeting_planned",
        "date": "2024-03-04",
        "convened_by": "hdnd_tinh",
        "kind": "hdnd_public_session",
        "concerns_bloc": True,
    }
    (invite,) = python.who_must_be_notified(event)
    assert invite.duty is Duty.INVITE
    invited = invite.counterparties[0]
    chair = invite.model_copy(update={"duty": Duty.CHAIR_MEETING, "obligated": invited})
    cls = EventClass("meeting_planned", (), event)
    found = conflicts(ClassResult(cls, (invite, chair)), python.parties)
    assert [c.kind for c in found] == ["chair_and_invited"]
    assert found[0].parties == (invited.id,)
    other = PartyOut.of(python.parties.parties["ubnd_tinh"])
    second = chair.model_copy(update={"obligated": other})
    kinds = [c.kind for c in conflicts(ClassResult(cls, (chair, second)), python.parties)]
    assert kinds == ["two_chairs"]
    # an organ chairing with the body it acts for is one chair, not two
    organ = PartyOut.of(python.parties.parties["ban_thuong_vu_dang_uy_khoi"])
    body = PartyOut.of(python.parties.parties["dang_uy_khoi"])
    a = chair.model_copy(update={"obligated": organ})
    b = chair.model_copy(update={"obligated": body})
    assert conflicts(ClassResult(cls, (a, b)), python.parties) == []


# --- the backends on the whole enumeration ---------------------------------------------------


@pytest.mark.parametrize("which", ["", "profile_"])
def test_backends_agree_on_every_class(which: str, request: pytest.FixtureRequest) -> None:
    """Every class, not a sample: each class's projected fact (classes that project alike
    are one question to a backend) is asked of durable-rules and of the Python matcher and
    compared with the reference semantics. About 28,000 facts per rulebook: a few seconds
    (see benchmarks/bench_analysis.py)."""
    pair: dict[str, Engine] = request.getfixturevalue(f"{which}engines")
    facts: Facts = request.getfixturevalue(f"{which}facts")
    python, durable = pair["python"], pair["durable"]
    assert len(facts) > 1000
    for f in facts:
        expected = reference_match(python.triggers, f)
        assert durable.backend.match(f) == expected, f
        assert python.backend.match(f) == expected, f


# --- rules diff -----------------------------------------------------------------------------


def _diff(old: Path | None, new: Path) -> DiffReport:
    a = Engine(rules_dir=old, backend="python") if old else Engine(backend="python")
    b = Engine(rules_dir=new, backend="python")
    return diff(a, b)


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) >= 1, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_identical_rulebooks_give_an_empty_diff(rules_copy: Path) -> None:
    r = runner.invoke(app, ["rules", "diff", str(rules_copy), str(rules_copy), "--json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    jsonschema_rs.validator_for(diff_schema()).validate(data)
    assert data["changed"] == [] and data["groups"] == [] and data["classes"] > 1000


def test_diff_of_a_dropped_condition_names_exactly_the_class_it_opens(rules_copy: Path) -> None:
    """Art. 10.3 without "khi bàn về các vấn đề có liên quan": one more class fires."""
    path = rules_copy / "articles" / "dieu-10.yaml"
    _edit(
        path,
        "          kind: hdnd_public_session\n          concerns_bloc: true\n",
        "          kind: hdnd_public_session\n",
    )
    report = _diff(None, rules_copy)
    assert [c.cls.key for c in report.changes] == [
        "meeting_planned[concerns_bloc=false, convened_by=hdnd_tinh, kind=hdnd_public_session]"
    ]
    (change,) = report.changes
    assert change.disappeared == ()
    assert [o["rule_id"] for o in change.appeared] == ["art10.3.invite-thuong-truc-dang-uy-khoi"]
    assert "meeting_planned" not in report.unchanged_types
    assert "personnel_action" in report.unchanged_types
    data = json.loads(json.dumps(diff_json(report), ensure_ascii=False))
    jsonschema_rs.validator_for(diff_schema()).validate(data)


def test_diff_of_a_changed_party_shows_what_goes_and_what_comes(rules_copy: Path) -> None:
    path = rules_copy / "articles" / "dieu-10.yaml"
    text = path.read_text(encoding="utf-8")
    start = text.index("id: art10.3.invite-thuong-truc-dang-uy-khoi")
    head, tail = text[:start], text[start:]
    path.write_text(
        head + tail.replace("obligated: dang_doan_hdnd_tinh", "obligated: hdnd_tinh", 1),
        encoding="utf-8",
    )
    r = runner.invoke(app, ["rules", "diff", str(Path("rules").resolve()), str(rules_copy)])
    assert r.exit_code == 0, r.output
    assert "1 lớp thay đổi / classes change" in r.output
    lines = r.output.splitlines()
    minus = [x for x in lines if x.startswith("  - ")]
    plus = [x for x in lines if x.startswith("  + ")]
    assert len(minus) == len(plus) == 1
    assert "dang_doan_hdnd_tinh → thuong_truc_dang_uy_khoi" in minus[0]
    assert "hdnd_tinh → thuong_truc_dang_uy_khoi" in plus[0]
    assert "concerns_bloc ∈ {true}" in r.output


def test_diff_of_a_narrowed_condition_names_every_class_it_closes(
    rules_copy: Path, report: CheckReport
) -> None:
    """Art. 3.1's answer to a 13.4 request without committee members: exactly the classes
    about a committee member of a Bloc organisation whose procedure an agency runs, at a
    pre-decision stage, lose the answer duty — counted independently from the classes."""
    _edit(
        rules_copy / "articles" / "dieu-03.yaml",
        "person_committee_role: [cap_uy_vien, pho_bi_thu, bi_thu]",
        "person_committee_role: [pho_bi_thu, bi_thu]",
    )
    result = _diff(None, rules_copy)
    personnel: TypeEnumeration = next(t for t in report.types if t.event_type == "personnel_action")

    def value(c: EventClass, f: str) -> tuple[object, ...]:
        return next(v.members for v in c.values if v.field == f)

    expected = {
        c.key
        for c in personnel.classes
        if value(c, "person_committee_role") == ("cap_uy_vien",)
        and value(c, "person_in_bloc") == (True,)
        and "co_quan_thuoc_khoi" in value(c, "conducted_by")
        and "process_started" in value(c, "stage")
    }
    assert {c.cls.key for c in result.changes} == expected and len(expected) > 10
    assert all(
        [o["rule_id"] for o in c.disappeared] == ["art3.1.respond-art13-4-request"]
        and c.appeared == ()
        for c in result.changes
    )
    (group,) = result.groups
    assert group.classes == len(expected)
    assert dict(group.when)["person_committee_role"] == ("cap_uy_vien",)


def test_diff_refuses_a_missing_directory(tmp_path: Path) -> None:
    r = runner.invoke(app, ["rules", "diff", str(tmp_path / "nope"), str(tmp_path)])
    assert r.exit_code == 2
    assert r.output.strip().startswith("error: ") and "nope" in r.output
    assert len(r.output.strip().splitlines()) == 1


def test_rules_schema_command() -> None:
    for kind in ("check", "diff"):
        r = runner.invoke(app, ["rules", "schema", kind])
        assert r.exit_code == 0
        assert json.loads(r.output)["$schema"].endswith("2020-12/schema")
    r = runner.invoke(app, ["rules", "schema", "nope"])
    assert r.exit_code == 2
