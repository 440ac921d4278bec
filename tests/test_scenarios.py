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
    (
        "14.2 district committee learns of a Bloc member's violation",
        {
            "type": "violation_signs_detected",
            "date": "2026-04-14",
            "detected_by": "huyen_thi_thanh_uy",
            "subject_kind": "member",
            "subject_in_bloc": True,
            "violation_of": "party_rules",
        },
        {
            (
                "art14.2.inform-member-violations",
                "huyen_thi_thanh_uy",
                (D, "to_chuc_co_so_dang_thuoc_khoi"),
            )
        },
    ),
    (
        "14.3 district resolution relevant to Bloc organisations",
        {
            "type": "document_issued",
            "date": "2026-04-20",
            "issued_by": "huyện ủy, thị ủy, thành ủy",
            "kind": "resolution",
            "concerns_bloc": True,
        },
        {("art14.3.inform-resolutions-and-decisions", "huyen_thi_thanh_uy", (D,))},
    ),
    (
        "15.2 + 3.1 ĐUK asks the Police Party Committee for discipline information",
        {
            "type": "coordination_requested",
            "date": "2026-03-02",
            "requester": D,
            "requested": "dang_uy_cong_an_tinh",
            "topic": "discipline",
            "received_on": "2026-03-02",
        },
        {
            ("art3.1.respond", "dang_uy_cong_an_tinh", (D,)),
            ("art15.2.provide-on-request", "dang_uy_cong_an_tinh", (D,)),
        },
    ),
    (
        "15.3 leak detected by the Police: inform ĐUK",
        {
            "type": "improper_statement_or_leak",
            "date": "2026-05-05",
            "detected_by": "dang_uy_cong_an_tinh",
            "kind": "leak",
            "subject_in_bloc": True,
        },
        {("art15.3.inform-dang-uy-khoi", "dang_uy_cong_an_tinh", (D,))},
    ),
    (
        "15.3 improper statement detected by ĐUK: inform the Police Party Committee",
        {
            "type": "improper_statement_or_leak",
            "date": "2026-05-05",
            "detected_by": D,
            "kind": "improper_statement",
            "subject_in_bloc": True,
        },
        {("art15.3.inform-dang-uy-cong-an", D, ("dang_uy_cong_an_tinh",))},
    ),
    (
        "15.4 political-history verification requested by ĐUK",
        {
            "type": "verification_requested",
            "date": "2026-08-27",
            "requested_by": D,
            "requested_from": "dang_uy_cong_an_tinh",
            "kind": "political_history",
        },
        {("art15.4.provide-political-history", "dang_uy_cong_an_tinh", (D,))},
    ),
    (
        "start of a year: yearly and half-yearly duties",
        {"type": "period_started", "date": "2026-01-01", "period": "year"},
        {
            ("art7.1.direct-grassroots-annual-programme", D, ("to_chuc_co_so_dang_thuoc_khoi",)),
            ("art10.1.consult-dang-doan-hdnd", BTV_DUK, ("dang_doan_hdnd_tinh",)),
            ("art10.3.inform-yearly-programme", "dang_doan_hdnd_tinh", (D,)),
            ("art11.1.inform-ban-can-su-dang-ubnd", BTV_DUK, ("ban_can_su_dang_ubnd_tinh",)),
            ("art11.1.inform-ban-thuong-vu-dang-uy-khoi", "ban_can_su_dang_ubnd_tinh", (BTV_DUK,)),
            (
                "art11.3.notify-emulation-and-reform-results",
                "ban_can_su_dang_ubnd_tinh",
                (BTV_DUK,),
            ),
            ("art13.2.consult-dang-uy-khoi", LD, (D,)),
            ("art13.2.consult-lanh-dao", D, (LD,)),
            (
                "art16.2.chair-defence-supervision",
                "ubkt_dang_uy_quan_su_tinh",
                ("ubkt_dang_uy_khoi",),
            ),
            (
                "art16.2.coordinate-defence-supervision",
                "ubkt_dang_uy_khoi",
                ("ubkt_dang_uy_quan_su_tinh",),
            ),
            ("art16.2.direct-ubkt-quan-su", "dang_uy_quan_su_tinh", ("ubkt_dang_uy_quan_su_tinh",)),
            ("art17.3.report-yearly-review", BTV_DUK, ("ban_thuong_vu_tinh_uy",)),
        },
    ),
    (
        "start of a half-year: only the half-yearly exchange of Art. 11.1",
        {"type": "period_started", "date": "2026-07-01", "period": "half_year"},
        {
            ("art11.1.inform-ban-can-su-dang-ubnd", BTV_DUK, ("ban_can_su_dang_ubnd_tinh",)),
            ("art11.1.inform-ban-thuong-vu-dang-uy-khoi", "ban_can_su_dang_ubnd_tinh", (BTV_DUK,)),
        },
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
    assert {2, 3, 4, 5, 7, 8, 9, 10, 11, 13, 14, 15, 16, 17} <= articles


def test_art_3_1_deadlines_cross_the_holidays(engines: dict[str, Engine]) -> None:
    """Due dates computed by hand from the official arrangements: received Friday 24/1/2025
    (Tết 27–31/1 off) → 11/2; received Friday 28/8/2026 (31/8, 1–2/9 off) → 11/9."""
    for received, due in (("2025-01-24", "2025-02-11"), ("2026-08-28", "2026-09-11")):
        ev = {
            "type": "coordination_requested",
            "date": received,
            "requester": D,
            "requested": "ban_tuyen_giao_tinh_uy",
            "received_on": received,
        }
        (ob,) = engines["durable"].who_must_be_notified(ev)
        assert ob.due is not None and ob.due.isoformat() == due
        assert ob.silence_means == "consent" and not ob.due_provisional
    ev = {
        "type": "coordination_requested",
        "date": "2025-01-24",
        "requester": D,
        "requested": "ban_tuyen_giao_tinh_uy",
    }
    (ob,) = engines["python"].who_must_be_notified(ev)
    assert ob.due is None and ob.due_computation and "not given" in ob.due_computation


def test_explain_gives_quote_clause_and_conditions(engines: dict[str, Engine]) -> None:
    ev = SCENARIOS[6][1]
    (ob,) = engines["durable"].who_must_be_notified(ev)
    why = engines["durable"].explain(ob)
    assert why.quote in why.clause_text
    assert any("subject_in_bloc = true" in c for c in why.conditions)


def test_duties_of_includes_standing_periodic_and_class_duties(engines: dict[str, Engine]) -> None:
    entries = engines["python"].duties_of("Đảng ủy Công an tỉnh")
    how = {e.rule.id: e.binds_as for e in entries}
    assert how["art15.3.inform-dang-uy-khoi"] == "named"
    assert how["art17.1.implement-dang-uy-khoi"].startswith("member of cac_co_quan")
    assert how["art3.1.respond"].startswith("when the event names it")
    assert any(e.rule.standing for e in entries)
    assert all(e.rule.obligated != "dang_uy_khoi" for e in entries)
    yearly = engines["python"].duties_of("dang_uy_quan_su_tinh")
    assert any(e.rule.periods for e in yearly)
