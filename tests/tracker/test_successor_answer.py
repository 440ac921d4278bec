"""The successor of an ended requested body answers for it: its answer (or extension, or a
withdrawal sent to it) settles the inherited case exactly as the ended body's own would,
once it holds the business (``model``'s reading of Art. 3.1). Every reader agrees, on
SQLite and PostgreSQL: one case, every case, the paged status (whose counted path finds
the successor's acts: ``marks.heir_acted``), and the log's reference fold given the
profile's ends (``fold(..., ends=succession.endings(...))``) — before and after the
successor's acts are recorded, on dates before and after them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from quyche_rules.cli.main import app as cli
from quyche_rules.engine.engine import Engine
from quyche_rules.tracker import Tracker
from quyche_rules.tracker.authority import Actor, AuthorityError, CaseParties, _applies_to
from quyche_rules.tracker.model import (
    Act,
    CaseState,
    _applies,
    case_to_json,
    fold,
    seed_case,
    status,
    with_end,
)
from quyche_rules.tracker.status_page import GROUPS
from quyche_rules.tracker.succession import endings, heirs, inheritor, with_successions

from .events import answer, extension, request, withdrawal

RQ = "dang_uy_khoi"
#: Sở A ended on 15/1/2025, Sở B took over from 16/1 and ended on 31/1, Sở C took over
#: from 3/2 (nobody held it on 1-2/2); Sở D lives
PROFILE: dict[str, Any] = {
    "province": "Tỉnh Thử",
    "regulation": {"signed_on": "2023-08-14", "replaces": "Quy chế cũ", "source": "test"},
    "bodies": [
        {"id": "so_a", "name_vi": "Sở A", "name_en": "Department A",
         "member_of": ["co_quan_thuoc_khoi"], "valid_to": "2025-01-15",
         "succeeded_by": "so_b", "source": "test"},
        {"id": "so_b", "name_vi": "Sở B", "name_en": "Department B",
         "member_of": ["co_quan_thuoc_khoi"], "valid_from": "2025-01-16",
         "valid_to": "2025-01-31", "succeeded_by": "so_c", "succeeded_on": "2025-02-03",
         "source": "test"},
        {"id": "so_c", "name_vi": "Sở C", "name_en": "Department C",
         "member_of": ["co_quan_thuoc_khoi"], "source": "test"},
        {"id": "so_d", "name_vi": "Sở D", "name_en": "Department D",
         "member_of": ["co_quan_thuoc_khoi"], "source": "test"},
    ],
}  # fmt: skip
DAYS = [dt.date(2025, 1, d) for d in (17, 22, 24, 28)] + [dt.date(2025, 2, 10)]
PARTIES = ("so_a", "so_b", "so_c", "so_d", RQ, None)


@pytest.fixture(scope="module")
def profile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("profile") / "thu.yaml"
    path.write_text(yaml.safe_dump(PROFILE, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def engine(profile: Path) -> Engine:
    return Engine(backend="python", profile=profile)


def _req(ref: str, day: str) -> dict[str, Any]:
    return request(ref, day, requester=RQ, requested="so_a")


def _reference(t: Tracker, day: dt.date) -> list[Any]:
    """The reference: the log folded with the profile's ends, the successions said."""
    reg = t.engine.parties
    folded = fold(t.log(), day, ends=endings(reg)).values()
    ended = frozenset(p.id for p in reg if p.valid_to is not None)
    return sorted(with_successions(folded, reg, day, ended), key=lambda c: (c.due, c.id))


def _agree(t: Tracker) -> None:
    """Every reader of the tracker gives the reference's answer, on every day and for
    every body: the cases, each case, and every page of every group with its counts."""
    for day in DAYS:
        want = _reference(t, day)
        assert t.cases(as_of=day) == want, day
        for c in want:
            assert t.case(c.id, day) == c
        for party in PARTIES:
            whole = status([c for c in want], party, day)
            counts = {g: len(getattr(whole, g)) for g in GROUPS}
            for group in GROUPS:
                got: list[Any] = []
                after = None
                for _ in range(50):
                    page = t.status_page(party, day, group=group, limit=4, after=after)
                    assert page.counts == counts, (party, day, group)
                    got += [case_to_json(c) for c in page.cases]
                    after = page.next_after
                    if after is None:
                        break
                assert got == [case_to_json(c) for c in getattr(whole, group)], (party, day)


def test_a_successors_answer_settles_the_inherited_case(db_url: str, engine: Engine) -> None:
    with Tracker(db_url, engine=engine) as t:
        (gone,) = t.record(_req("1-CV", "2025-01-14")).opened  # due 23/1, after the end
        (had_time,) = t.record(_req("2-CV", "2025-01-06")).opened  # due 15/1, its last day
        (late,) = t.record(_req("3-CV", "2025-01-14")).opened
        (stranger,) = t.record(_req("4-CV", "2025-01-14")).opened
        (extended,) = t.record(_req("5-CV", "2025-01-14")).opened
        (chain,) = t.record(_req("6-CV", "2025-01-14")).opened
        (gap,) = t.record(_req("7-CV", "2025-01-14")).opened
        assert t.case(gone, DAYS[-1]).due == dt.date(2025, 1, 23)
        _agree(t)  # before any successor acted: overdue, never consent

        b = Actor(party="so_b")
        kw = {"requester": RQ, "requested": "so_b"}
        t.record(answer("1-CV", "2025-01-22", **kw), actor=b)  # on time
        t.record(answer("2-CV", "2025-01-20", **kw), actor=b)  # after consent arose
        t.record(answer("3-CV", "2025-01-27", **kw), actor=b)  # after the due date
        t.record(answer("4-CV", "2025-01-20", requester=RQ, requested="so_d"))  # not its heir
        t.record(extension("5-CV", "2025-01-20", "2025-02-05", **kw), actor=b)
        # Sở C holds the business from 3/2; Sở B's answer after its own end does not count
        t.record(answer("6-CV", "2025-02-04", requester=RQ, requested="so_c"))
        # Sở C before it took over (and Sở B cannot be named after its end: refused)
        t.record(answer("7-CV", "2025-02-02", requester=RQ, requested="so_c"))
        _agree(t)

        day = DAYS[-1]
        on_time = t.case(gone, day)
        assert (on_time.state, on_time.closed_on) == (
            CaseState.ANSWERED_ON_TIME,
            dt.date(2025, 1, 22),
        )
        assert on_time.successions == ()  # settled: nothing left to inherit
        assert [h.text for h in on_time.history[-2:]] == [
            "so_b acts as the successor of so_a, which ended on 2025-01-15",
            "answered on time",
        ]
        assert t.case(gone, dt.date(2025, 1, 21)).state is CaseState.AWAITING  # before it
        after_consent = t.case(had_time, day)
        assert after_consent.state is CaseState.ANSWERED_LATE
        assert after_consent.consent_since == dt.date(2025, 1, 16)  # it did arise
        assert t.case(late, day).state is CaseState.ANSWERED_LATE
        assert t.case(late, dt.date(2025, 1, 26)).state is CaseState.OVERDUE
        assert t.case(stranger, day).state is CaseState.OVERDUE  # a stranger's answer
        ext = t.case(extended, dt.date(2025, 1, 28))
        assert (ext.state, ext.due) == (CaseState.EXTENDED, dt.date(2025, 2, 5))
        assert t.case(extended, day).state is CaseState.OVERDUE  # its silence: no consent
        assert t.case(chain, day).state is CaseState.ANSWERED_LATE  # due 23/1
        assert t.case(chain, day).history[-2].text.startswith("so_c acts as the successor")
        assert t.case(gap, day).state is CaseState.OVERDUE  # nobody held it on 2/2
        # withdrawn by the requester, sent to the successor: withdrawn
        t.record(withdrawal("4-CV", "2025-02-05", requester=RQ, requested="so_c"))
        assert t.case(stranger, day).state is CaseState.WITHDRAWN
        _agree(t)


def test_only_the_successor_may_answer_for_the_ended_body(db_url: str, engine: Engine) -> None:
    """Its answer names it as the requested body: another body's key may not record it,
    and the successor's own key may (it holds the role of the obligated body)."""
    with Tracker(db_url, engine=engine) as t:
        t.record(_req("1-CV", "2025-01-14"))
        ev = answer("1-CV", "2025-01-20", requester=RQ, requested="so_b")
        with pytest.raises(AuthorityError, match=r"^requested: so_d"):
            t.record(ev, actor=Actor(party="so_d"))
        assert t.record(ev, actor=Actor(party="so_b")).acts_on


def test_the_fold_and_the_authority_read_the_same_successors(engine: Engine) -> None:
    """``authority._applies_to`` (the registry) and ``model._applies`` (the heirs the
    reader set) agree on every day around the ends, for every kind of act."""
    reg = engine.parties
    ends = endings(reg)
    assert heirs(reg, "so_a") == (
        ("so_b", dt.date(2025, 1, 16), dt.date(2025, 1, 31)),
        ("so_c", dt.date(2025, 2, 3), None),
    )
    start = dt.date(2025, 1, 10)
    seed = seed_case(cid="c1", rule_id="r", obligated="so_a", counterparties=(),
                     requester=RQ, reference="x", opened_seq=1, opened_on=start,
                     opened_type="t", due=start, due_provisional=False,
                     silence_means="consent")  # fmt: skip
    case = with_end(seed, ends["so_a"])
    cp = CaseParties("c1", "so_a", (), RQ)
    seen = 0
    for n in range(40):
        day = start + dt.timedelta(days=n)
        for kind in ("coordination_answered", "coordination_extension_needed",
                     "coordination_withdrawn", "coordination_receipt_corrected"):  # fmt: skip
            for who in ("so_a", "so_b", "so_c", "so_d"):
                act = Act(2, day, kind, who)
                got = _applies(case, act)
                assert _applies_to(cp, act, reg) == got, (day, kind, who)
                if who != "so_a" and kind != "coordination_receipt_corrected":
                    assert got == (inheritor(reg, "so_a", day) == who), (day, kind, who)
                seen += got and who != "so_a"
    assert seen == 3 * (16 + 16)  # Sở B from 16/1 to 31/1, Sở C from 3/2 to 18/2


def test_the_history_says_who_answered_in_the_clerks_language(
    tmp_path: Path, profile: Path, engine: Engine
) -> None:
    db = tmp_path / "t.db"
    with Tracker(db, engine=engine) as t:
        (cid,) = t.record(_req("1-CV", "2025-01-14")).opened
        t.record(answer("1-CV", "2025-01-22", requester=RQ, requested="so_b"))
    args = ["--profile", str(profile), "--lang", "vi", "track", "show", cid, "--db", str(db)]
    shown = CliRunner().invoke(cli, [*args, "--as-of", "2025-01-24"])
    assert shown.exit_code == 0, shown.output
    words = " ".join(shown.output.split())
    assert "Sở B xử lý với tư cách cơ quan kế thừa của Sở A (đã kết thúc ngày 15/01/2025)" in words
    assert "cơ quan kế thừa xử lý" in words  # the history line's kind
