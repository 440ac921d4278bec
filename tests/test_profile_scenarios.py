"""Scenarios naming concrete bodies of the shipped Đắk Lắk profile (issue 8): for each
event, the EXACT set of (rule, obligated body, counterparties) on both backends, and
whether a class was left unresolved."""

from __future__ import annotations

from typing import Any

import pytest

from quyche_rules.engine.engine import Engine

D = "dang_uy_khoi"
TT_DUK = "thuong_truc_dang_uy_khoi"
BMT_ORGS = (
    "dang_bo_so_y_te",
    "dang_bo_so_tai_chinh",
    "dang_bo_so_giao_duc_va_dao_tao",
    "dang_bo_so_noi_vu",
    "chi_bo_so_tu_phap",
    "dang_bo_so_ke_hoach_va_dau_tu",
    "chi_bo_hoi_nong_dan_tinh",
    "chi_bo_lien_doan_lao_dong_tinh",
    "dang_bo_toa_an_nhan_dan_tinh",
    "dang_bo_vien_kiem_sat_nhan_dan_tinh",
)

Expected = set[tuple[str, str, tuple[str, ...], bool]]


def _pm(**kw: Any) -> dict[str, Any]:
    return {"type": "personnel_action", "date": "2024-03-04", "person_in_bloc": True, **kw}


def _viol(**kw: Any) -> dict[str, Any]:
    return {
        "type": "violation_signs_detected",
        "date": "2024-06-10",
        "subject_kind": "member",
        "subject_in_bloc": True,
        "violation_of": "law",
        **kw,
    }


SCENARIOS: list[tuple[str, dict[str, Any], Expected]] = [
    (
        "12.2 ĐUK runs a committee-personnel procedure at Hội Nông dân: its đảng đoàn answers",
        _pm(
            action="nomination",
            stage="process_started",
            conducted_by="Ban Thường vụ Đảng ủy Khối",
            person_committee_role="cap_uy_vien",
            agency="Hội Nông dân tỉnh",
        ),
        {
            (
                "art12.2.give-opinion-on-committee-personnel",
                "dang_doan_hoi_nong_dan_tinh",
                (D,),
                False,
            )
        },
    ),
    (
        "12.2 the same at Sở Y tế, which has no đảng đoàn or ban cán sự đảng: nobody",
        _pm(
            action="nomination",
            stage="process_started",
            conducted_by="Đảng ủy Khối",
            person_committee_role="cap_uy_vien",
            agency="Sở Y tế",
        ),
        set(),
    ),
    (
        "12.2 the agency not given: the class is kept and flagged",
        _pm(
            action="nomination",
            stage="process_started",
            conducted_by="Đảng ủy Khối",
            person_committee_role="cap_uy_vien",
        ),
        {
            (
                "art12.2.give-opinion-on-committee-personnel",
                "dang_doan_ban_can_su_dang_thuoc_khoi",
                (D,),
                True,
            )
        },
    ),
    (
        "13.3 Sở Giáo dục và Đào tạo (the agency itself) restructures: its leadership acts",
        {
            "type": "restructuring",
            "date": "2024-09-02",
            "conducted_by": "Sở Giáo dục và Đào tạo",
            "scope": "apparatus",
            "affects_bloc_units": True,
        },
        {
            (
                "art13.3.notify-restructuring-dang-uy-khoi",
                "lanh_dao_so_giao_duc_va_dao_tao",
                (D,),
                False,
            ),
            (
                "art13.3.coordinate-restructuring-dang-uy-khoi",
                "lanh_dao_so_giao_duc_va_dao_tao",
                (D,),
                False,
            ),
            (
                "art13.3.coordinate-restructuring-lanh-dao",
                D,
                ("lanh_dao_so_giao_duc_va_dao_tao",),
                False,
            ),
        },
    ),
    (
        "13.3 the Bloc's Board reorganises the Party organisation of Sở Tài chính",
        {
            "type": "restructuring",
            "date": "2024-09-02",
            "conducted_by": "ban_thuong_vu_dang_uy_khoi",
            "scope": "party_organisation",
            "affects_bloc_units": True,
            "agency": "Sở Tài chính",
        },
        {
            ("art13.3.notify-restructuring-lanh-dao", D, ("lanh_dao_so_tai_chinh",), False),
            ("art13.3.coordinate-restructuring-lanh-dao", D, ("lanh_dao_so_tai_chinh",), False),
            ("art13.3.coordinate-restructuring-dang-uy-khoi", "lanh_dao_so_tai_chinh", (D,), False),
        },
    ),
    (
        "13.4 lãnh đạo Sở Y tế runs a procedure on a cell secretary: asks ĐUK in writing, ĐUK"
        " answers it (3.1)",
        _pm(
            action="appointment",
            stage="process_started",
            conducted_by="Lãnh đạo Sở Y tế",
            person_committee_role="bi_thu",
        ),
        {
            ("art13.4.request-written-opinion", "lanh_dao_so_y_te", (D,), False),
            ("art3.1.respond-art13-4-request", D, ("lanh_dao_so_y_te",), False),
        },
    ),
    (
        "13.4 Tòa án nhân dân tỉnh detects a violation: the two sides notify and coordinate",
        {
            "type": "violation_signs_detected",
            "date": "2024-06-10",
            "detected_by": "Tòa án nhân dân tỉnh",
            "subject_kind": "member",
            "subject_in_bloc": True,
            "violation_of": "party_rules",
        },
        {
            ("art13.4.notify-violation-dang-uy-khoi", "lanh_dao_toa_an_nhan_dan_tinh", (D,), False),
            (
                "art13.4.coordinate-review-dang-uy-khoi",
                "lanh_dao_toa_an_nhan_dan_tinh",
                (D,),
                False,
            ),
            ("art13.4.coordinate-review-lanh-dao", D, ("lanh_dao_toa_an_nhan_dan_tinh",), False),
        },
    ),
    (
        "13.6 ĐUK runs the procedure on a deputy secretary managed by lãnh đạo Sở Nội vụ, which"
        " answers it (3.1)",
        _pm(
            action="appointment",
            stage="process_started",
            conducted_by="Đảng ủy Khối",
            person_committee_role="pho_bi_thu",
            cadre_managed_by="Sở Nội vụ",
        ),
        {
            ("art13.6.request-written-opinion", D, ("lanh_dao_so_noi_vu",), False),
            ("art3.1.respond-art13-6-request", "lanh_dao_so_noi_vu", (D,), False),
        },
    ),
    (
        "13.8 lãnh đạo Sở Tài chính holds the conference announcing a Tỉnh ủy-managed appointment",
        _pm(
            action="appointment",
            stage="announcement_conference",
            conducted_by="Lãnh đạo Sở Tài chính",
            cadre_managed_by="Ban Thường vụ Tỉnh ủy",
        ),
        {("art13.8.invite-thuong-truc-dang-uy-khoi", "so_tai_chinh", (TT_DUK,), False)},
    ),
    (
        "13.8 named by the class: kept and flagged",
        _pm(
            action="transfer",
            stage="announcement_conference",
            conducted_by="các cơ quan thuộc Khối",
            cadre_managed_by="tinh_uy",
        ),
        {("art13.8.invite-thuong-truc-dang-uy-khoi", "co_quan_thuoc_khoi", (TT_DUK,), True)},
    ),
    (
        "14.2 Thành ủy Buôn Ma Thuột: ĐUK and the Bloc organisations seated in the city",
        _viol(detected_by="Thành ủy Buôn Ma Thuột"),
        {("art14.2.inform-member-violations", "thanh_uy_buon_ma_thuot", (D, *BMT_ORGS), False)},
    ),
    (
        "14.2 the member's agency given: that agency's Party organisation only",
        _viol(detected_by="Thành ủy Buôn Ma Thuột", agency="Sở Tài chính"),
        {
            (
                "art14.2.inform-member-violations",
                "thanh_uy_buon_ma_thuot",
                (D, "dang_bo_so_tai_chinh"),
                False,
            )
        },
    ),
    (
        "14.2 Krông Búk's Standing Board: no Bloc organisation is seated there, ĐUK alone",
        _viol(detected_by="Ban Thường vụ Huyện ủy Krông Búk"),
        {("art14.2.inform-member-violations", "huyen_uy_krong_buk", (D,), False)},
    ),
    (
        "14.2 the class named, the district given: resolved through the district",
        _viol(detected_by="huyện ủy, thị ủy, thành ủy", district="Krông Búk"),
        {("art14.2.inform-member-violations", "huyen_uy_krong_buk", (D,), False)},
    ),
    (
        "14.2 the class named, nothing else: kept and flagged",
        _viol(detected_by="huyen_thi_thanh_uy"),
        {
            (
                "art14.2.inform-member-violations",
                "huyen_thi_thanh_uy",
                (D, "to_chuc_co_so_dang_thuoc_khoi"),
                True,
            )
        },
    ),
]


@pytest.mark.parametrize(("name", "event", "expected"), SCENARIOS, ids=[s[0] for s in SCENARIOS])
@pytest.mark.parametrize("backend", ["durable", "python"])
def test_profile_scenario(
    profile_engines: dict[str, Engine],
    backend: str,
    name: str,
    event: dict[str, Any],
    expected: Expected,
) -> None:
    got = {
        (o.rule_id, o.obligated.id, tuple(c.id for c in o.counterparties), o.unresolved_class)
        for o in profile_engines[backend].who_must_be_notified(event)
    }
    assert got == expected


def test_the_obligation_names_the_concrete_leadership(profile_engines: dict[str, Engine]) -> None:
    """The README example: Vietnamese names as a clerk reads them."""
    obs = profile_engines["durable"].who_must_be_notified(SCENARIOS[5][1])
    (ob,) = [o for o in obs if o.rule_id == "art13.4.request-written-opinion"]
    assert ob.obligated.name_vi == "Lãnh đạo Sở Y tế"
    assert [c.name_vi for c in ob.counterparties] == ["Đảng ủy Khối các cơ quan tỉnh"]
    assert ob.duty == "request_written_opinion" and ob.form == "in_writing"


def test_existing_events_answer_as_before_with_a_profile_loaded(
    engines: dict[str, Engine], profile_engines: dict[str, Engine]
) -> None:
    """A profile adds bodies; an event naming only the regulation's parties (and dated after
    the signing date) gets the same obligations with or without it."""
    from quyche_rules.scenarios.scenario import load_scenario_files

    from .conftest import ROOT

    compared = 0
    for sc in load_scenario_files([ROOT / "tests" / "scenarios"]):
        for ev in sc.events:
            if str(ev["date"]) >= "2023-08-14":
                compared += 1
                assert engines["python"].who_must_be_notified(ev) == profile_engines[
                    "python"
                ].who_must_be_notified(ev), sc.id
    assert compared > 50


def test_the_readme_example_runs_and_says_what_it_shows() -> None:
    """The integrators' guide's *Concrete bodies* example, run as written from the
    repository root."""
    import os
    import re

    from .conftest import ROOT

    text = (ROOT / "docs" / "guide-integrators.md").read_text(encoding="utf-8")
    section = text.split("## Concrete bodies", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S)
    assert code is not None
    ns: dict[str, Any] = {}
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        exec(compile(code.group(1), "guide-integrators.md", "exec"), ns)  # our own documentation
    finally:
        os.chdir(cwd)
    ob = ns["ob"]
    shown = (ob.rule_id, ob.obligated.name_vi, [c.name_vi for c in ob.counterparties])
    assert repr(shown)[1:-1] in " ".join(code.group(1).replace("#", " ").split())
