"""Bodies in time, the rest: successors of ended bodies (``succeeded_by``), said on every
open case by the tracker, and the regulation's own end in a province
(``regulation.ended_on`` with its reason and source, and its parties' last days there):
an event after it is refused in one line naming the day and the reason."""

from __future__ import annotations

import copy
import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from quyche_rules.cli.main import app as cli
from quyche_rules.engine.engine import Engine
from quyche_rules.errors import EventError
from quyche_rules.model.profiles import ProfileError, load_profile
from quyche_rules.tracker import Tracker
from quyche_rules.tracker.model import case_to_json, status_to_json

from .conftest import PROFILE

runner = CliRunner()

#: a test profile: the regulation ended on 31/1/2025 (its Bloc committee with it); Sở A
#: ended on 15/1/2025, succeeded by Sở B, which ended too, succeeded by Sở C
BASE: dict[str, Any] = {
    "province": "Tỉnh Thử",
    "regulation": {
        "signed_on": "2023-08-14",
        "replaces": "Quy chế cũ",
        "source": "test",
        "ended_on": "2025-01-31",
        "ended_reason": "Đảng bộ Khối các cơ quan tỉnh kết thúc hoạt động",
        "ended_source": "Quyết định (thử) của Ban Thường vụ Tỉnh ủy",
        "parties_ended": {"dang_uy_khoi": "2025-01-31"},
    },
    "bodies": [
        {"id": "so_a", "name_vi": "Sở A", "name_en": "Department A",
         "member_of": ["co_quan_thuoc_khoi"], "valid_to": "2025-01-15",
         "succeeded_by": "so_b", "source": "test"},
        {"id": "so_b", "name_vi": "Sở B", "name_en": "Department B",
         "member_of": ["co_quan_thuoc_khoi"], "valid_from": "2025-01-16",
         "valid_to": "2025-01-20", "succeeded_by": "so_c", "succeeded_on": "2025-01-22",
         "source": "test"},
        {"id": "so_c", "name_vi": "Sở C", "name_en": "Department C",
         "member_of": ["co_quan_thuoc_khoi"], "source": "test"},
        {"id": "so_d", "name_vi": "Sở D", "name_en": "Department D",
         "member_of": ["co_quan_thuoc_khoi"], "valid_to": "2025-01-15", "source": "test"},
    ],
}  # fmt: skip


def _write(tmp_path: Path, data: dict[str, Any]) -> Path:
    path = tmp_path / "thu.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture
def profile_file(tmp_path: Path) -> Path:
    return _write(tmp_path, BASE)


def _request(requested: str, day: str, ref: str) -> dict[str, Any]:
    return {"type": "coordination_requested", "date": day, "received_on": day,
            "reference": ref, "requester": "dang_uy_khoi", "requested": requested}  # fmt: skip


def test_successors_load_with_their_default_day(profile_file: Path) -> None:
    reg = load_profile(profile_file).registry
    assert reg.parties["so_a"].succeeded_by == "so_b"
    assert reg.parties["so_a"].succeeded_on == dt.date(2025, 1, 16)  # the day after valid_to
    assert reg.parties["so_b"].succeeded_on == dt.date(2025, 1, 22)
    assert reg.parties["dang_uy_khoi"].valid_to == dt.date(2025, 1, 31)  # parties_ended
    # the shipped profile: the merged department and its leadership have a successor
    shipped = load_profile(PROFILE).registry.parties
    assert shipped["so_ke_hoach_va_dau_tu"].succeeded_by == "so_tai_chinh"
    assert shipped["lanh_dao_so_ke_hoach_va_dau_tu"].succeeded_by == "lanh_dao_so_tai_chinh"
    assert shipped["so_ke_hoach_va_dau_tu"].succeeded_on == dt.date(2025, 3, 1)


Mutation = Callable[[dict[str, Any]], None]


def _body(i: int, **kw: Any) -> Mutation:
    return lambda d: d["bodies"][i].update(kw)


def _reg(**kw: Any) -> Mutation:
    return lambda d: d["regulation"].update(kw)


def _drop(key: str) -> Mutation:
    return lambda d: d["regulation"].pop(key)


BAD: list[tuple[Mutation, str, str]] = [
    (_body(0, succeeded_by="so_x"), "bodies.so_a.succeeded_by", "unknown body"),
    (_body(0, succeeded_by="so_a"), "bodies.so_a.succeeded_by", "cannot succeed itself"),
    (_body(2, succeeded_by="so_a"), "bodies.so_c.succeeded_by", "needs valid_to"),
    (_body(0, succeeded_on="2025-01-10"), "bodies.so_a.succeeded_on", "not after valid_to"),
    (_body(0, succeeded_by="so_d", succeeded_on="2025-01-16"), "bodies.so_a.succeeded_by",
     "not on 2025-01-16"),
    (_body(3, succeeded_on="2025-01-16"), "bodies.so_d.succeeded_on", "needs succeeded_by"),
    (_drop("ended_reason"), "regulation", "ended_reason is required"),
    (_drop("ended_source"), "regulation", "ended_source is required"),
    (_reg(ended_on="2023-01-01"), "regulation", "before signed_on"),
    (_reg(parties_ended={"so_a": "2025-01-01"}), "regulation.parties_ended.so_a",
     "not a party of rules/parties.yaml"),
]  # fmt: skip


@pytest.mark.parametrize(("mutate", "field", "words"), BAD)
def test_bad_successions_and_ends_are_one_line_naming_the_field(
    tmp_path: Path, mutate: Mutation, field: str, words: str
) -> None:
    data = copy.deepcopy(BASE)
    mutate(data)
    with pytest.raises(ProfileError) as exc:
        load_profile(_write(tmp_path, data))
    msg = str(exc.value)
    assert "\n" not in msg
    assert f"field {field}" in msg, msg
    assert words in msg, msg


def test_an_event_after_the_regulation_ended_is_refused_with_the_day_and_reason(
    profile_file: Path,
) -> None:
    e = Engine(backend="python", profile=profile_file)
    assert e.who_must_be_notified(_request("so_c", "2025-01-31", "1-CV"))  # its last day
    for requested in ("so_c", "ban_to_chuc_tinh_uy"):
        with pytest.raises(EventError) as exc:
            e.who_must_be_notified(_request(requested, "2025-02-03", "2-CV"))
        msg = str(exc.value)
        assert msg.startswith("date: 2025-02-03 is after this regulation ceased to apply")
        assert "(2025-01-31, profile thu.yaml)" in msg
        assert msg.endswith("Đảng bộ Khối các cơ quan tỉnh kết thúc hoạt động")
    # the tracker refuses it the same way, before its own checks; nothing is recorded
    with Tracker(":memory:", engine=e) as t:
        with pytest.raises(EventError, match="ceased to apply"):
            t.record(_request("so_c", "2025-02-03", "2-CV"))
        assert t.log() == []


def test_a_regulation_party_ended_there_is_refused_after_its_last_day(tmp_path: Path) -> None:
    data = copy.deepcopy(BASE)
    data["regulation"]["parties_ended"] = {"ban_thuong_vu_dang_uy_khoi": "2025-01-10"}
    e = Engine(backend="python", profile=_write(tmp_path, data))
    ev = {**_request("so_c", "2025-01-13", "3-CV"), "requester": "ban_thuong_vu_dang_uy_khoi"}
    with pytest.raises(EventError, match=r"^requester: .* exists from … to 2025-01-10"):
        e.who_must_be_notified(ev)


def test_the_tracker_says_who_inherits_an_open_case_of_an_ended_body(
    profile_file: Path, tmp_path: Path
) -> None:
    db = tmp_path / "t.db"
    e = Engine(backend="python", profile=profile_file)
    with Tracker(db, engine=e) as t:
        opened = t.record(_request("so_a", "2025-01-14", "4-CV")).opened
        t.record(_request("so_d", "2025-01-14", "5-CV"))
        cid = opened[0]
        assert t.case(cid, dt.date(2025, 1, 15)).successions == ()  # still alive that day
        on_17 = case_to_json(t.case(cid, dt.date(2025, 1, 17)))
        assert on_17["successions"] == [
            {"party": "so_a", "role": "obligated", "ended_on": "2025-01-15",
             "succeeded_by": "so_b", "succeeded_on": "2025-01-16", "inheritor": "so_b"}
        ]  # fmt: skip
        # Sở B ended on 20/1; Sở C takes over on 22/1: on 21/1 nobody holds it yet
        assert t.case(cid, dt.date(2025, 1, 21)).successions[0].inheritor is None
        status = status_to_json(t.status(None, dt.date(2025, 1, 22)))
        heirs = {c["reference"]: c["successions"] for c in status["owes"]}
        assert heirs["4-CV"][0]["inheritor"] == "so_c"
        assert heirs["5-CV"][0]["succeeded_by"] is None  # ended, no successor recorded
        # a closed case says nothing
        t.record({"type": "coordination_answered", "date": "2025-01-14", "requester":
                  "dang_uy_khoi", "requested": "so_a", "in_reply_to": "4-CV"})  # fmt: skip
        assert t.case(cid, dt.date(2025, 1, 22)).successions == ()
    args = ["--profile", str(profile_file), "--lang", "vi", "track"]
    shown = runner.invoke(cli, [*args, "show", "--db", str(db), "--as-of", "2025-01-22",
                                t_id := _other(db, e)])  # fmt: skip
    assert shown.exit_code == 0, shown.output
    assert "Sở D đã kết thúc ngày 15/01/2025; chưa ghi nhận cơ quan kế thừa" in shown.output
    st = runner.invoke(cli, [*args, "status", "--db", str(db), "--as-of", "2025-01-22"])
    assert "Sở D đã kết thúc ngày" in st.output  # under the body, in its (wrapped) cell
    as_json = runner.invoke(cli, [*args, "show", t_id, "--json", "--db", str(db),
                                  "--as-of", "2025-01-22"])  # fmt: skip
    assert json.loads(as_json.output)["successions"][0]["party"] == "so_d"


def _other(db: Path, e: Engine) -> str:
    with Tracker(db, engine=e) as t:
        return next(c.id for c in t.cases(as_of=dt.date(2025, 1, 22)) if c.reference == "5-CV")


def test_silence_of_a_body_that_ended_before_the_due_date_is_not_consent(
    tmp_path: Path,
) -> None:
    """Art. 3.1 deems the requested body to agree "và cùng chịu trách nhiệm": not a body
    gone before its time to answer ran out. Sở A (ended 15/1) owed an answer by 23/1: on
    24/1 the case is overdue, not consent, and its successor is named; Sở D, ending on
    its due date 15/1, had the whole time: its silence counts. Every reader agrees: the
    case, the status, the paged status, the delivery sweep and the CLI."""
    from quyche_rules.calendar import WorkingCalendar
    from quyche_rules.delivery import messages as m
    from quyche_rules.delivery.outbox import sweep
    from quyche_rules.delivery.subscriptions import subscribe
    from quyche_rules.tracker.model import CaseState

    profile = _write(tmp_path, BASE)
    db = tmp_path / "t.db"
    e = Engine(backend="python", profile=profile)
    day = dt.date(2025, 1, 24)
    with Tracker(db, engine=e) as t:
        (gone,) = t.record(_request("so_a", "2025-01-14", "6-CV")).opened
        (last,) = t.record(_request("so_d", "2025-01-06", "7-CV")).opened
        (alive,) = t.record(_request("so_c", "2025-01-14", "8-CV")).opened
        case = t.case(gone, day)
        assert case.due == dt.date(2025, 1, 23)
        assert (case.state, case.consent_since) == (CaseState.OVERDUE, None)
        assert case.history[-1].text == (
            "no answer by 2025-01-23 (so_a ended on 2025-01-15, before the due date: "
            "no consent by silence)"
        )
        assert case.successions[0].inheritor == "so_c"
        assert t.case(gone, dt.date(2025, 1, 23)).state is CaseState.AWAITING
        ended_on_due = t.case(last, day)
        assert ended_on_due.due == dt.date(2025, 1, 15) == e.parties.parties["so_d"].valid_to
        assert ended_on_due.state is CaseState.CONSENT
        assert t.case(alive, day).state is CaseState.CONSENT
        st = t.status(None, day)
        assert {c.id for c in st.consent} == {last, alive}
        assert [c.id for c in st.overdue] == [gone]
        for group, ids in (("consent", {last, alive}), ("overdue", {gone})):
            page = t.status_page(None, day, group=group)
            assert {c.id for c in page.cases} == ids
            assert (page.counts["consent"], page.counts["overdue"]) == (2, 1)
        # the delivery sweep: overdue, never consent
        subscribe(t.store.engine, party="dang_uy_khoi", url="http://127.0.0.1:9/a")
        now = dt.datetime(2025, 1, 24, 3, tzinfo=dt.UTC)
        sweep(t.store, WorkingCalendar(), day, now, refresh=t.refresh)
        with t.store.engine.connect() as c:
            from quyche_rules.db.delivery_tables import outbox

            sent = {(r.kind, r.case_id) for r in c.execute(outbox.select())}
        assert (m.OVERDUE, gone) in sent and (m.CONSENT, gone) not in sent
        assert (m.CONSENT, alive) in sent
    shown = runner.invoke(
        cli,
        ["--profile", str(profile), "--lang", "vi", "track", "show", gone, "--db", str(db),
         "--as-of", "2025-01-24"],
    )  # fmt: skip
    assert shown.exit_code == 0, shown.output
    assert "Sở A đã kết thúc ngày 15/01/2025, trước hạn: im lặng không được xem là đồng ý" in (
        " ".join(shown.output.split())
    )
