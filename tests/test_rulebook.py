"""The loader: every malformed input gets the loader's own error, naming file, rule, field."""

from __future__ import annotations

import contextlib
import unicodedata
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quyche_rules.engine.engine import Engine
from quyche_rules.errors import RulebookError
from quyche_rules.rulebook.loader import load_rulebook

ART3 = "articles/dieu-03.yaml"


def _edit(rules: Path, rel: str, old: str, new: str) -> None:
    p = rules / rel
    text = p.read_text(encoding="utf-8")
    assert old in text, old
    p.write_text(text.replace(old, new, 1), encoding="utf-8")


def _error(rules: Path) -> RulebookError:
    with pytest.raises(RulebookError) as info:
        load_rulebook(rules)
    return info.value


@pytest.mark.parametrize(
    ("old", "new", "rule_id", "field", "words"),
    [
        (
            'obligated: "@requested"',
            "obligated: nobody_at_all",
            "art3.1.respond",
            "obligated",
            "unknown party",
        ),
        ("duty: respond_in_writing", "duty: ignore", "art3.1.respond", "rules.1.duty", "ignore"),
        (
            "basis: {article: 3, clause: 2}",
            "basis: {article: 3, clause: 9}",
            "art3.2.inform-dang-uy-khoi",
            "id",
            "basis",
        ),
        (
            "Trong quá trình phối hợp các cơ quan chủ động",
            "Trong quá trình phối hợp các cơ quan bị động",
            "art3.2.inform-dang-uy-khoi",
            "quote",
            "verbatim",
        ),
        (
            "- event: coordination_requested",
            "- event: coordination_asked",
            "art3.1.respond",
            "triggers.0.event",
            "unknown event type",
        ),
        (
            "      - event: important_issue_raised\n        when:\n",
            "      - event: important_issue_raised\n        when:\n          raised_by: nobody\n",
            "art3.3.chair-meeting",
            "triggers.0.when.raised_by",
            "unknown party",
        ),
        (
            "      - event: important_issue_raised\n        when:\n",
            "      - event: important_issue_raised\n        when:\n          colour: red\n",
            "art3.3.chair-meeting",
            "triggers.0.when.colour",
            "no field",
        ),
        ("deadline: art3.1", "deadline: art99", "art3.1.respond", "deadline", "unknown deadline"),
        ("id: art3.3.chair-meeting", "id: art3.1.respond", "art3.1.respond", "id", "duplicate"),
    ],
)
def test_semantic_errors_name_file_rule_and_field(
    rules_copy: Path, old: str, new: str, rule_id: str, field: str, words: str
) -> None:
    _edit(rules_copy, ART3, old, new)
    err = _error(rules_copy)
    assert err.file == "dieu-03.yaml"
    assert err.rule_id == rule_id
    assert err.field == field
    assert words in str(err)


def test_malformed_yaml_names_its_line(rules_copy: Path) -> None:
    _edit(
        rules_copy,
        ART3,
        "    triggers:\n      - event: coordination_needed",
        "    triggers:\n      - event: [coordination_needed",
    )
    err = _error(rules_copy)
    assert err.file == "dieu-03.yaml" and err.line is not None and err.line > 1
    assert "malformed YAML" in str(err)


def test_unknown_party_in_registry_parent(rules_copy: Path) -> None:
    _edit(rules_copy, "parties.yaml", "parent: dang_uy_khoi", "parent: no_such_body")
    err = _error(rules_copy)
    assert err.file == "parties.yaml" and "no_such_body" in str(err)


def test_nfd_rule_files_give_identical_results(rules_copy: Path, book: object) -> None:
    for p in [*rules_copy.glob("articles/*.yaml"), rules_copy / "parties.yaml"]:
        p.write_text(unicodedata.normalize("NFD", p.read_text(encoding="utf-8")), encoding="utf-8")
    nfd = load_rulebook(rules_copy)
    nfc = load_rulebook()
    assert nfd.rules == nfc.rules
    assert nfd.non_actionable == nfc.non_actionable
    ev = {
        "type": "coordination_requested",
        "date": "2025-03-03",
        "requester": unicodedata.normalize("NFD", "Đảng ủy Khối"),
        "requested": "Ban Tổ chức Tỉnh ủy",
        "received_on": "2025-03-03",
    }
    a = Engine(nfd, backend="python").who_must_be_notified(ev)
    b = Engine(nfc, backend="python").who_must_be_notified(ev)
    assert a == b and a


# --- hypothesis: junk rule files raise RulebookError, never a bare KeyError/TypeError ---------

_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 30),
    st.text(max_size=12),
    st.sampled_from(["notify", "art3.1", "dang_uy_khoi", "@requested", "period", "yearly"]),
)
_junk = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(
            st.sampled_from(
                [
                    "id",
                    "basis",
                    "quote",
                    "triggers",
                    "obligated",
                    "counterparties",
                    "duty",
                    "form",
                    "when",
                    "event",
                    "article",
                    "clause",
                    "point",
                    "rules",
                    "title",
                    "any",
                    "x",
                ]
            ),
            inner,
            max_size=5,
        ),
    ),
    max_leaves=20,
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(junk=_junk)
def test_junk_rule_files_raise_the_loaders_error(rules_copy: Path, junk: object) -> None:
    (rules_copy / "articles" / "dieu-99.yaml").write_text(
        yaml.safe_dump(junk, allow_unicode=True), encoding="utf-8"
    )
    with contextlib.suppress(RulebookError):
        load_rulebook(rules_copy)


_rule = st.fixed_dictionaries(
    {
        "id": st.sampled_from(["art3.1.x", "art3.2.y", "bad id", "art4.1.a.z"]),
        "basis": st.fixed_dictionaries(
            {"article": st.integers(1, 4), "clause": st.one_of(st.none(), st.integers(0, 4))}
        ),
        "quote": st.sampled_from(["Khi có những vấn đề đặt ra cần phối hợp", "không có", ""]),
        "triggers": st.lists(
            st.one_of(
                st.fixed_dictionaries({"event": st.sampled_from(["coordination_needed", "nope"])}),
                st.fixed_dictionaries({"period": st.sampled_from(["yearly", "weekly"])}),
                st.fixed_dictionaries({"standing": st.booleans()}),
                st.fixed_dictionaries(
                    {
                        "event": st.just("restructuring"),
                        "when": st.dictionaries(
                            st.sampled_from(["scope", "conducted_by", "zzz"]),
                            st.one_of(st.booleans(), st.text(max_size=5), st.just("apparatus")),
                            max_size=2,
                        ),
                    }
                ),
            ),
            max_size=3,
        ),
        "obligated": st.sampled_from(["dang_uy_khoi", "@raised_by", "@nope", "x"]),
        "counterparties": st.lists(st.sampled_from(["ubnd_tinh", "@with_parties", 5]), max_size=2),
        "duty": st.sampled_from(["notify", "nap"]),
        "summary_en": st.just("s"),
    }
)


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rule=_rule)
def test_nearly_valid_rules_raise_the_loaders_error(
    rules_copy: Path, rule: dict[str, object]
) -> None:
    doc = {"article": 3, "title": "Phương pháp phối hợp", "rules": [rule]}
    (rules_copy / "articles" / "dieu-03b.yaml").write_text(
        yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8"
    )
    try:
        load_rulebook(rules_copy)
    except RulebookError as err:
        assert err.file == "dieu-03b.yaml"


def test_the_content_hash_is_of_the_bytes_loaded_each_file_read_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``content_hash`` hashes the bytes the loader parsed (no second read of any file,
    no window for an edit between parse and hash), and equals a fresh hash of the files."""
    from pathlib import Path

    from quyche_rules.io import resources
    from quyche_rules.rulebook.loader import content_hash_of

    def no_second_read(self: Path) -> bytes:
        raise AssertionError(f"{self} read again")

    with monkeypatch.context() as m:
        m.setenv("QUYCHE_NO_CACHE", "1")
        m.setattr(Path, "read_bytes", no_second_read)
        book = load_rulebook()
    d = resources.rules_dir(None)
    files = [d / resources.SOURCE, d / resources.PARTIES, d / resources.DEADLINES]
    files += sorted((d / resources.ARTICLES).glob("*.yaml"))
    assert book.content_hash == content_hash_of(d, files)
