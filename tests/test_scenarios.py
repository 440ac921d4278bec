"""Scenario table: for each event, the EXACT set of obligations (rule, obligated body,
counterparties), on both backends. Negative cases are events that must fire nothing, or
must not fire a given rule."""

from __future__ import annotations

from typing import Any

import pytest

from quyche_rules.engine import Engine

D = "dang_uy_khoi"
BTV_DUK = "ban_thuong_vu_dang_uy_khoi"
TT_DUK = "thuong_truc_dang_uy_khoi"
LD = "lanh_dao_co_quan_thuoc_khoi"

Expected = set[tuple[str, str, tuple[str, ...]]]


def _pm(**kw: Any) -> dict[str, Any]:
    return {"type": "personnel_action", "date": "2025-03-04", "person_in_bloc": True, **kw}


SCENARIOS: list[tuple[str, dict[str, Any], Expected]] = [
    (
        "2.2 issue arose: two-way consultation",
        {"type": "issue_arose", "date": "2025-01-06", "related_parties": ["ban_dan_van_tinh_uy"]},
        {
            ("art2.2.consult-dang-uy-khoi", "ban_dan_van_tinh_uy", (D,)),
            ("art2.2.consult-related-parties", D, ("ban_dan_van_tinh_uy",)),
        },
    ),
    (
        "2.2 disagreement goes up to the provincial Standing Office and Board",
        {
            "type": "coordination_disagreement",
            "date": "2025-06-10",
            "lead_party": D,
            "other_parties": ["ban_tuyen_giao_tinh_uy"],
        },
        {("art2.2.report-disagreement", D, ("thuong_truc_tinh_uy", "ban_thuong_vu_tinh_uy"))},
    ),
    (
        "3.1 need for coordination: the requester writes",
        {
            "type": "coordination_needed",
            "date": "2025-02-03",
            "raised_by": "van_phong_tinh_uy",
            "with_parties": [D, "ban_noi_chinh_tinh_uy"],
        },
        {("art3.1.send-request", "van_phong_tinh_uy", (D, "ban_noi_chinh_tinh_uy"))},
    ),
    (
        "3.1 written request: the requested body answers",
        {
            "type": "coordination_requested",
            "date": "2025-02-03",
            "requester": D,
            "requested": "ban_to_chuc_tinh_uy",
            "received_on": "2025-02-03",
        },
        {("art3.1.respond", "ban_to_chuc_tinh_uy", (D,))},
    ),
    (
        "3.1 extension: notify the requester",
        {
            "type": "coordination_extension_needed",
            "date": "2025-02-05",
            "requester": D,
            "requested": "dang_uy_cong_an_tinh",
        },
        {("art3.1.notify-extension", "dang_uy_cong_an_tinh", (D,))},
    ),
    (
        "3.3 important issue: the raiser chairs a meeting",
        {
            "type": "important_issue_raised",
            "date": "2025-02-05",
            "raised_by": D,
            "related_parties": ["ban_to_chuc_tinh_uy", D],
        },
        {("art3.3.chair-meeting", D, ("ban_to_chuc_tinh_uy",))},
    ),
    (
        "4.1.b conclusion conference about a Bloc organisation: invite BTV ĐUK",
        {
            "type": "conclusion_meeting_planned",
            "date": "2025-09-15",
            "advised_by": "co_quan_ubkt_tinh_uy",
            "matter": "inspection",
            "subject_kind": "organisation",
            "subject_in_bloc": True,
        },
        {("art4.1.b.invite-btv-dang-uy-khoi", "co_quan_ubkt_tinh_uy", (BTV_DUK,))},
    ),
    (
        "4.1.b conclusion conference about a member managed by BTV ĐUK (second branch)",
        {
            "type": "conclusion_meeting_planned",
            "date": "2025-09-15",
            "advised_by": "co_quan_ubkt_tinh_uy",
            "matter": "denunciation",
            "subject_kind": "member",
            "subject_in_bloc": False,
            "subject_managed_by": BTV_DUK,
        },
        {("art4.1.b.invite-btv-dang-uy-khoi", "co_quan_ubkt_tinh_uy", (BTV_DUK,))},
    ),
    (
        "4.1.b negative: member outside the Bloc and not managed by BTV ĐUK",
        {
            "type": "conclusion_meeting_planned",
            "date": "2025-09-15",
            "advised_by": "co_quan_ubkt_tinh_uy",
            "matter": "inspection",
            "subject_kind": "member",
            "subject_in_bloc": False,
            "subject_managed_by": "ban_thuong_vu_tinh_uy",
        },
        set(),
    ),
    (
        "5.2.a personnel policy on a Bloc member: notify TT ĐUK, BTV ĐUK gives written opinion",
        _pm(
            action="appointment",
            stage="policy_agreed",
            decided_by="ban_thuong_vu_tinh_uy",
            cadre_managed_by="ban_thuong_vu_tinh_uy",
        ),
        {
            ("art5.2.a.notify-standing-office", "ban_to_chuc_tinh_uy", (TT_DUK,)),
            ("art5.2.a.give-written-opinion-ban-to-chuc", BTV_DUK, ("ban_to_chuc_tinh_uy",)),
        },
    ),
    (
        "5.2.a negative: person outside Đảng bộ Khối",
        _pm(
            action="appointment",
            stage="policy_agreed",
            decided_by="ban_thuong_vu_tinh_uy",
            cadre_managed_by="ban_thuong_vu_tinh_uy",
            person_in_bloc=False,
        ),
        set(),
    ),
    (
        "5.2.a negative: dismissal is not in the list of 5.2.a",
        _pm(
            action="dismissal",
            stage="policy_agreed",
            decided_by="ban_thuong_vu_tinh_uy",
            cadre_managed_by="ban_thuong_vu_tinh_uy",
        ),
        set(),
    ),
    (
        "5.2.b provincial restructuring affecting Bloc units",
        {
            "type": "restructuring",
            "date": "2025-04-01",
            "conducted_by": "ubnd_tinh",
            "scope": "apparatus",
            "affects_bloc_units": True,
            "provincial_policy": True,
        },
        {
            ("art5.2.b.notify-dang-uy-khoi", "ban_to_chuc_tinh_uy", (D,)),
            ("art5.2.b.coordinate-dang-uy-khoi", "ban_to_chuc_tinh_uy", (D,)),
            ("art5.2.b.reorganise-and-coordinate-ban-to-chuc", D, ("ban_to_chuc_tinh_uy",)),
        },
    ),
    (
        "5.2.c political-standards conclusion requested by BTV ĐUK",
        {
            "type": "verification_requested",
            "date": "2025-04-24",
            "requested_by": BTV_DUK,
            "requested_from": "ban_to_chuc_tinh_uy",
            "kind": "political_standards",
        },
        {("art5.2.c.provide-political-standards", "ban_to_chuc_tinh_uy", (BTV_DUK,))},
    ),
    (
        "8.3 Thường trực Tỉnh ủy working session concerning ĐUK",
        {
            "type": "meeting_planned",
            "date": "2025-05-20",
            "convened_by": "thuong_truc_tinh_uy",
            "kind": "thuong_truc_tinh_uy_working_session",
            "concerns_bloc": True,
        },
        {
            ("art8.3.propose-attendance-by-dang-uy-khoi", D, ("thuong_truc_tinh_uy",)),
            (
                "art8.3.propose-attendance-by-van-phong",
                "van_phong_tinh_uy",
                ("thuong_truc_tinh_uy",),
            ),
        },
    ),
    (
        "9.3 Ban Nội chính detects a law breach by a cadre managed by BTV ĐUK",
        {
            "type": "violation_signs_detected",
            "date": "2025-08-12",
            "detected_by": "ban_noi_chinh_tinh_uy",
            "subject_kind": "member",
            "subject_in_bloc": True,
            "subject_managed_by": BTV_DUK,
            "violation_of": "law",
        },
        {("art9.3.provide-dang-uy-khoi-violations", "ban_noi_chinh_tinh_uy", (D,))},
    ),
    (
        "10.2 task deployed touching the Office of the NA delegation and HĐND",
        {
            "type": "task_deployed",
            "date": "2025-03-10",
            "deployed_by": BTV_DUK,
            "related_bodies": ["van_phong_doan_dbqh_va_hdnd_tinh"],
        },
        {("art10.2.notify-dang-doan-hdnd", BTV_DUK, ("dang_doan_hdnd_tinh",))},
    ),
    (
        "10.2 negative: task not touching the Office",
        {
            "type": "task_deployed",
            "date": "2025-03-10",
            "deployed_by": BTV_DUK,
            "related_bodies": ["ubnd_tinh"],
        },
        set(),
    ),
    (
        "10.3 HĐND public session on related matters: invite TT ĐUK",
        {
            "type": "meeting_planned",
            "date": "2025-07-08",
            "convened_by": "hdnd_tinh",
            "kind": "hdnd_public_session",
            "concerns_bloc": True,
        },
        {("art10.3.invite-thuong-truc-dang-uy-khoi", "dang_doan_hdnd_tinh", (TT_DUK,))},
    ),
    (
        "11.2 UBND plans to appoint a Bloc party member: BCS asks BTV ĐUK",
        _pm(action="appointment", stage="decision_planned", decided_by="ubnd_tinh"),
        {("art11.2.request-opinion-on-cadres", "ban_can_su_dang_ubnd_tinh", (BTV_DUK,))},
    ),
    (
        "11.4 UBND regular session: invite or notify TT ĐUK",
        {
            "type": "meeting_planned",
            "date": "2025-11-26",
            "convened_by": "ubnd_tinh",
            "kind": "ubnd_regular_session",
            "concerns_bloc": False,
        },
        {
            (
                "art11.4.invite-or-notify-thuong-truc-dang-uy-khoi",
                "ban_can_su_dang_ubnd_tinh",
                (TT_DUK,),
            )
        },
    ),
    (
        "11.4 negative: UBND working session not involving the Bloc",
        {
            "type": "meeting_planned",
            "date": "2025-11-26",
            "convened_by": "ubnd_tinh",
            "kind": "ubnd_working_session",
            "concerns_bloc": False,
        },
        set(),
    ),
    (
        "13.4 agency leadership runs a procedure on a cell secretary: ask ĐUK in writing",
        _pm(
            action="reappointment",
            stage="process_started",
            conducted_by=LD,
            person_committee_role="bi_thu",
        ),
        {("art13.4.request-written-opinion", LD, (D,))},
    ),
    (
        "13.4 negative: the person holds no Party committee post",
        _pm(
            action="reappointment",
            stage="process_started",
            conducted_by=LD,
            person_committee_role="none",
        ),
        set(),
    ),
    (
        "13.6 ĐUK runs the procedure on a deputy secretary managed by the agency",
        _pm(
            action="appointment",
            stage="process_started",
            conducted_by=D,
            person_committee_role="pho_bi_thu",
            cadre_managed_by=LD,
        ),
        {
            ("art13.6.request-written-opinion", D, (LD,)),
            (
                "art12.2.give-opinion-on-committee-personnel",
                "dang_doan_ban_can_su_dang_thuoc_khoi",
                (D,),
            ),
        },
    ),
    (
        "13.8 conference announcing an appointment of a Tỉnh ủy-managed cadre",
        _pm(
            action="appointment",
            stage="announcement_conference",
            conducted_by="co_quan_thuoc_khoi",
            cadre_managed_by="ban_thuong_vu_tinh_uy",
        ),
        {("art13.8.invite-thuong-truc-dang-uy-khoi", "co_quan_thuoc_khoi", (TT_DUK,))},
    ),
    (
        "13.5 ĐUK decides an inspection in the Bloc: notify agency leadership",
        {
            "type": "inspection_decided",
            "date": "2026-01-12",
            "decided_by": "ubkt_dang_uy_khoi",
            "matter": "inspection",
            "subject_kind": "member",
            "subject_in_bloc": True,
        },
        {("art13.5.notify-inspection-lanh-dao", D, (LD,))},
    ),
]


@pytest.mark.parametrize(("name", "event", "expected"), SCENARIOS, ids=[s[0] for s in SCENARIOS])
@pytest.mark.parametrize("backend", ["durable", "python"])
def test_scenario(
    engines: dict[str, Engine], backend: str, name: str, event: dict[str, Any], expected: Expected
) -> None:
    got = {
        (o.rule_id, o.obligated.id, tuple(c.id for c in o.counterparties))
        for o in engines[backend].who_must_be_notified(event)
    }
    assert got == expected


def test_scenarios_cover_every_article_with_event_rules(engines: dict[str, Engine]) -> None:
    fired = {rid for _, _, exp in SCENARIOS for rid, _, _ in exp}
    articles = {int(r.split(".")[0][3:]) for r in fired}
    assert {2, 3, 4, 5, 8, 9, 10, 11, 13} <= articles
