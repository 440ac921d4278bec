"""Deployment profiles (issue 8): the shipped profile loads and is sourced; malformed
profiles are refused with the file, the body id and the field; events are held to the
bodies' validity and to the regulation's signing date."""

from __future__ import annotations

import copy
import datetime as dt
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from quyche_rules.engine.engine import Engine
from quyche_rules.errors import EventError, QuycheError
from quyche_rules.model.profiles import PROFILE_ENV, ProfileError, load_profile, profile_from_env

from .conftest import PROFILE


def test_the_shipped_profile_loads_and_every_body_names_its_source() -> None:
    raw = yaml.safe_load(PROFILE.read_text(encoding="utf-8"))
    prof = load_profile(PROFILE)
    assert prof.province == "Đắk Lắk"
    assert len(prof.body_ids) == len(raw["bodies"]) >= 40
    assert all(b["source"].strip() for b in raw["bodies"])
    reg = prof.registry
    assert len(reg.members("huyen_thi_thanh_uy")) == 15  # 1 city, 1 town, 13 districts
    agencies = reg.members("co_quan_thuoc_khoi")
    # every agency has exactly one leadership and one Party organisation
    for a in agencies:
        assert [p.id for p in reg if p.acts_for == a] == [f"lanh_dao_{a}"]
        orgs = [m for m in reg.members("to_chuc_co_so_dang_thuoc_khoi") if reg.agency_of(m) == a]
        assert len(orgs) == 1
    assert reg.resolve("sở y tế").id == "so_y_te"
    assert reg.resolve("Huyen uy Krong Buk").id == "huyen_uy_krong_buk"


def test_engine_takes_a_path_or_a_loaded_profile(book: Any) -> None:
    ev = {
        "type": "restructuring",
        "date": "2024-04-01",
        "conducted_by": "Lãnh đạo Sở Y tế",
        "scope": "apparatus",
        "affects_bloc_units": True,
    }
    a = Engine(book, backend="python", profile=PROFILE).who_must_be_notified(ev)
    b = Engine(book, backend="python", profile=load_profile(PROFILE)).who_must_be_notified(ev)
    assert a == b != []


def test_profile_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(PROFILE_ENV, raising=False)
    assert profile_from_env() is None
    monkeypatch.setenv(PROFILE_ENV, str(PROFILE))
    prof = profile_from_env()
    assert prof is not None and prof.province == "Đắk Lắk"
    monkeypatch.setenv(PROFILE_ENV, "/nonexistent/p.yaml")
    with pytest.raises(ProfileError, match="file not found"):
        profile_from_env()


# --- malformed profiles ---------------------------------------------------------------------------


def _base() -> dict[str, Any]:
    return {
        "province": "Thử",
        "regulation": {"signed_on": "2023-01-01", "replaces": "03-QC/TU", "source": "test"},
        "districts": [{"id": "d1", "name_vi": "Huyện Một"}, {"id": "d2", "name_vi": "Huyện Hai"}],
        "bodies": [
            {
                "id": "ag_a",
                "name_vi": "Sở A",
                "name_en": "Dept A",
                "member_of": ["co_quan_thuoc_khoi"],
                "source": "s",
            },
            {
                "id": "ld_a",
                "name_vi": "Lãnh đạo Sở A",
                "name_en": "Leadership A",
                "member_of": ["lanh_dao_co_quan_thuoc_khoi"],
                "acts_for": "ag_a",
                "source": "s",
            },
            {
                "id": "org_a",
                "name_vi": "Đảng bộ Sở A",
                "name_en": "Party A",
                "member_of": ["to_chuc_co_so_dang_thuoc_khoi"],
                "agency": "ag_a",
                "seat_district": "d1",
                "source": "s",
            },
            {
                "id": "hu_1",
                "name_vi": "Huyện ủy Một",
                "name_en": "D1 Committee",
                "member_of": ["huyen_thi_thanh_uy"],
                "seat_district": "d1",
                "valid_from": "2020-01-01",
                "valid_to": "2025-06-30",
                "source": "s",
            },
        ],
    }


Mutation = Callable[[dict[str, Any], int], tuple[str, str]]  # → (body id, field)


def _unknown_class(p: dict[str, Any], i: int) -> tuple[str, str]:
    p["bodies"][i]["member_of"] = ["khong_co_lop_nay"]
    return p["bodies"][i]["id"], "member_of"


def _class_is_not_a_class(p: dict[str, Any], i: int) -> tuple[str, str]:
    p["bodies"][i]["member_of"] = ["dang_uy_khoi"]
    return p["bodies"][i]["id"], "member_of"


def _cycle(p: dict[str, Any], i: int) -> tuple[str, str]:
    j = (i + 1) % len(p["bodies"])
    p["bodies"][i]["acts_for"] = p["bodies"][j]["id"]
    p["bodies"][j]["acts_for"] = p["bodies"][i]["id"]
    return p["bodies"][min(i, j)]["id"], "acts_for"


def _self_cycle(p: dict[str, Any], i: int) -> tuple[str, str]:
    p["bodies"][i]["acts_for"] = p["bodies"][i]["id"]
    return p["bodies"][i]["id"], "acts_for"


def _name_collision(p: dict[str, Any], i: int) -> tuple[str, str]:
    j = (i + 1) % len(p["bodies"])
    p["bodies"][j]["name_vi"] = p["bodies"][i]["name_vi"].upper()  # folded: same name
    return p["bodies"][max(i, j)]["id"], "name_vi"  # reported on the later of the two


def _alias_takes_a_regulation_name(p: dict[str, Any], i: int) -> tuple[str, str]:
    p["bodies"][i]["aliases"] = ["Dang uy Khoi"]
    return p["bodies"][i]["id"], "aliases"


def _valid_to_before_from(p: dict[str, Any], i: int) -> tuple[str, str]:
    p["bodies"][i]["valid_from"] = "2024-05-02"
    p["bodies"][i]["valid_to"] = "2024-05-01"
    return p["bodies"][i]["id"], "valid_to"


def _unknown_district(p: dict[str, Any], i: int) -> tuple[str, str]:
    p["bodies"][i]["seat_district"] = "d9"
    return p["bodies"][i]["id"], "seat_district"


def _unknown_acts_for(p: dict[str, Any], i: int) -> tuple[str, str]:
    p["bodies"][i]["acts_for"] = "khong_ai"
    return p["bodies"][i]["id"], "acts_for"


def _agency_not_an_agency(p: dict[str, Any], i: int) -> tuple[str, str]:
    p["bodies"][i]["agency"] = "dang_uy_khoi"
    return p["bodies"][i]["id"], "agency"


def _id_of_the_regulation(p: dict[str, Any], i: int) -> tuple[str, str]:
    p["bodies"][i]["id"] = "tinh_uy"
    return "tinh_uy", "id"


def _missing_source(p: dict[str, Any], i: int) -> tuple[str, str]:
    del p["bodies"][i]["source"]
    return p["bodies"][i]["id"], "source"


def _bad_date(p: dict[str, Any], i: int) -> tuple[str, str]:
    p["bodies"][i]["valid_from"] = "2024-13-01"
    return p["bodies"][i]["id"], "valid_from"


MUTATIONS: list[Mutation] = [
    _unknown_class,
    _class_is_not_a_class,
    _cycle,
    _self_cycle,
    _name_collision,
    _alias_takes_a_regulation_name,
    _valid_to_before_from,
    _unknown_district,
    _unknown_acts_for,
    _agency_not_an_agency,
    _id_of_the_regulation,
    _missing_source,
    _bad_date,
]


def test_the_base_profile_is_valid() -> None:
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "thu.yaml"
        path.write_text(yaml.safe_dump(_base(), allow_unicode=True), encoding="utf-8")
        assert len(load_profile(path).body_ids) == 4


@settings(max_examples=150, deadline=None)
@given(mutate=st.sampled_from(MUTATIONS), i=st.integers(0, 3))
def test_malformed_profiles_are_refused_with_file_body_and_field(mutate: Mutation, i: int) -> None:
    prof = copy.deepcopy(_base())
    body, field = mutate(prof, i)
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "hong.yaml"
        path.write_text(yaml.safe_dump(prof, allow_unicode=True), encoding="utf-8")
        with pytest.raises(ProfileError) as exc:
            load_profile(path)
    msg = str(exc.value)
    assert "\n" not in msg and isinstance(exc.value, QuycheError)
    assert exc.value.file == "hong.yaml"
    assert exc.value.field == f"bodies.{body}.{field}", msg


def test_malformed_yaml_names_the_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "vo.yaml"
    path.write_text("province: [x\n", encoding="utf-8")
    with pytest.raises(ProfileError, match=r"vo\.yaml:\d"):
        load_profile(path)


# --- dates ----------------------------------------------------------------------------------------


def test_an_event_outside_a_bodys_validity_names_the_field(
    profile_engines: dict[str, Engine],
) -> None:
    ev = {
        "type": "violation_signs_detected",
        "date": "2025-07-15",
        "detected_by": "Huyện ủy Krông Búk",
        "subject_kind": "member",
        "subject_in_bloc": True,
        "violation_of": "law",
    }
    for e in profile_engines.values():
        with pytest.raises(
            EventError, match=r"^detected_by: Huyện ủy Krông Búk exists .*2025-06-30"
        ):
            e.who_must_be_notified(ev)
        assert e.who_must_be_notified({**ev, "date": "2025-06-30"})  # last valid day
        with pytest.raises(EventError, match=r"^agency: .*2025-02-28"):
            e.who_must_be_notified(
                {**ev, "date": "2025-03-03", "detected_by": "Thành ủy Buôn Ma Thuột",
                 "agency": "Sở Kế hoạch và Đầu tư"}
            )  # fmt: skip


def test_an_event_before_the_signing_date_is_refused(profile_engines: dict[str, Engine]) -> None:
    """Art. 18: in force from signing; before, Quy chế 03-QC/TU applied. Refused, not flagged:
    an answer under the wrong regulation is worse than none."""
    ev = {"type": "period_started", "date": "2023-08-13", "period": "year"}
    for e in profile_engines.values():
        with pytest.raises(EventError, match=r"^date: 2023-08-13 is before .*03-QC/TU"):
            e.who_must_be_notified(ev)
        assert e.who_must_be_notified({**ev, "date": "2023-08-14"})


def test_the_signing_bound_is_the_latest_dated_citation_of_the_text() -> None:
    """The text is undated; it cannot have been signed before the latest document it cites
    (Art. 7.2: Nghị định 59/2023/NĐ-CP of 14/8/2023). Computed from the whole source, not
    from a list, so a corrected text moves the expected bound."""
    import datetime as dt
    import re

    from quyche_rules.model.profiles import load_profile
    from quyche_rules.rulebook.text import load_regulation

    from .conftest import ROOT

    raw = load_regulation().raw
    cited = [
        dt.date(int(y), int(m), int(d))
        for d, m, y in re.findall(r"ngày\s+(\d{1,2})/(\d{1,2})/(\d{4})", raw)
    ]
    assert len(cited) >= 6
    latest = max(cited)
    assert latest == dt.date(2023, 8, 14)
    profile = load_profile(ROOT / "profiles" / "dak-lak.yaml")
    assert profile.regulation.signed_on == latest


def test_without_a_profile_agency_and_district_are_refused_clearly(
    engines: dict[str, Engine],
) -> None:
    ev = {"type": "period_started", "date": "2025-01-01", "period": "year"}
    with pytest.raises(EventError, match=r"^agency: unknown party 'Sở Y tế'"):
        engines["python"].who_must_be_notified({**ev, "agency": "Sở Y tế"})
    with pytest.raises(EventError, match=r"^agency: .*not a Bloc agency"):
        engines["python"].who_must_be_notified({**ev, "agency": "Đảng ủy Khối"})
    with pytest.raises(EventError, match=r"^district: unknown district .*load a profile"):
        engines["python"].who_must_be_notified({**ev, "district": "Krông Búk"})


def test_a_profile_loaded_against_another_registry_is_refused(rules_copy: Path) -> None:
    from quyche_rules.rulebook.loader import load_rulebook

    text = (rules_copy / "parties.yaml").read_text(encoding="utf-8")
    extra = (
        "  - id: them_mot_ben\n    name_vi: Bên thêm\n    name_en: Extra\n"
        "    parent: null\n    kind: body\n"
    )
    (rules_copy / "parties.yaml").write_text(text + extra, encoding="utf-8")
    book = load_rulebook(rules_copy)
    with pytest.raises(ProfileError, match="another party registry"):
        Engine(book, backend="python", profile=load_profile(PROFILE))
    assert Engine(book, backend="python", profile=PROFILE).parties.resolve("Bên thêm")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "is a directory|cannot read"),
        ("", "valid dictionary"),
        ("- a\n- b\n", "valid dictionary"),
    ],
)
def test_unreadable_or_shapeless_profiles_are_one_line_errors(
    tmp_path: Path, content: str | None, message: str
) -> None:
    path = tmp_path / "p.yaml"
    if content is None:
        path.mkdir()
    else:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(ProfileError, match=message) as exc:
        load_profile(path)
    assert "p.yaml" in str(exc.value) and "\n" not in str(exc.value)


def test_a_body_added_to_a_class_in_the_registry_is_matched_and_bound(rules_copy: Path) -> None:
    """The issue: a member added to a class was listed by duties_of, yet its event gave 0
    obligations and no error. Now the condition naming the class is met by the member."""
    from quyche_rules.rulebook.loader import load_rulebook

    path = rules_copy / "parties.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace(
        "  - id: huyen_thi_thanh_uy\n",
        "  - id: huyen_uy_thu\n    name_vi: Huyện ủy Thử\n    name_en: Test District Committee\n"
        "    parent: null\n    kind: body\n  - id: huyen_thi_thanh_uy\n",
    )
    text = text.replace(
        '    aliases: ["huyện ủy, thị ủy, thành ủy", "các huyện, thị, thành ủy"]\n'
        "    parent: tinh_uy\n    kind: class\n",
        '    aliases: ["huyện ủy, thị ủy, thành ủy", "các huyện, thị, thành ủy"]\n'
        "    parent: tinh_uy\n    kind: class\n    members: [huyen_uy_thu]\n",
    )
    path.write_text(text, encoding="utf-8")
    engine = Engine(load_rulebook(rules_copy), backend="python")
    obs = engine.who_must_be_notified(
        {
            "type": "violation_signs_detected",
            "date": "2025-03-03",
            "detected_by": "Huyện ủy Thử",
            "subject_kind": "member",
            "subject_in_bloc": True,
            "violation_of": "law",
        }
    )
    assert [(o.rule_id, o.obligated.id) for o in obs] == [
        ("art14.2.inform-member-violations", "huyen_uy_thu")
    ]
    listed = {e.rule.id for e in engine.duties_of("huyen_uy_thu")}
    assert "art14.2.inform-member-violations" in listed


def test_a_request_received_after_the_receiving_body_ended_is_refused(
    profile_engines: dict[str, Engine],
) -> None:
    """Bodies in time, receiving side: the district committees end on 30/6/2025. A request
    sent before but received after that day cannot start a duty of an ended body."""
    ev = {
        "type": "coordination_requested", "date": "2025-06-27", "requester": "dang_uy_khoi",
        "requested": "huyen_uy_krong_buk", "received_on": "2025-06-30",
    }  # fmt: skip
    for e in profile_engines.values():
        (ob,) = e.who_must_be_notified(ev)
        assert ob.obligated.id == "huyen_uy_krong_buk"
        # due after the body's last day: flagged on the obligation, never silent
        assert ob.due is not None and ob.due > dt.date(2025, 6, 30)
        assert ob.obligated_ends_before_due == dt.date(2025, 6, 30)
        early = e.who_must_be_notified({**ev, "date": "2025-06-02", "received_on": "2025-06-02"})
        assert early[0].obligated_ends_before_due is None
        with pytest.raises(
            EventError, match=r"^received_on: Huyện ủy Krông Búk ended on 2025-06-30"
        ):
            e.who_must_be_notified({**ev, "received_on": "2025-07-01"})
