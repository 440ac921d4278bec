"""Who may move a case (finding 1): the authorisation matrix of every event type the
tracker accepts × {a party of the case, another body, an administrator}, over HTTP, and
the same rule in the library and the CLI (it lives in ``tracker.authority``).

The case: Đảng ủy Khối (D) asks Ban Tổ chức (A) for an opinion; Ban Nội chính (B) is no
party of it. Each lifecycle test opens its own case (an answer closes one for good)."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from quyche_rules.cli.main import app as cli
from quyche_rules.model.event_checks import condition_fields, parse_event
from quyche_rules.model.events import EVENT_TYPES
from quyche_rules.tracker import Actor, AuthorityError, Tracker
from quyche_rules.tracker.authority import MAY_MOVE, CaseParties, _applies_to
from quyche_rules.tracker.model import Act, CaseState, _applies, seed_case

from ..service.conftest import Keys
from .conftest import A, B, D, bearer

LIFECYCLE = set(MAY_MOVE)


def _ref() -> str:
    return f"{uuid.uuid4().hex[:10]}-CV/T"


def _open_case(client: TestClient, d_key: str) -> tuple[str, str]:
    ref = _ref()
    body = {"type": "coordination_requested", "date": "2025-03-03", "received_on": "2025-03-03",
            "reference": ref, "requester": D, "requested": A}  # fmt: skip
    r = client.post("/v1/track", json=body, headers=bearer(d_key))
    assert r.status_code == 200, r.text
    (case,) = r.json()["opened"]
    assert r.json()["changes"] == [
        {"case_id": case["id"], "change": "opened", "state": "awaiting", "text": ""}
    ]
    return ref, str(case["id"])


def _case(client: TestClient, admin: str, cid: str) -> dict[str, Any]:
    r = client.get(f"/v1/track/cases/{cid}", params={"as_of": "2025-03-05"},
                   headers=bearer(admin))  # fmt: skip
    assert r.status_code == 200, r.text
    return dict(r.json())


def _state(client: TestClient, admin: str, cid: str) -> str:
    return str(_case(client, admin, cid)["state"])


def _lifecycle(kind: str, ref: str, *, sender: str, other: str) -> dict[str, Any]:
    """A lifecycle event on ``ref`` sent by ``sender``; ``other`` is the other party."""
    base: dict[str, Any] = {"type": kind, "date": "2025-03-04", "in_reply_to": ref}
    if kind == "coordination_disagreement":
        return {**base, "lead_party": sender, "other_parties": [other, D, A]}
    if kind == "coordination_withdrawn":
        return {**base, "requester": sender, "requested": other}
    if kind == "coordination_receipt_corrected":  # received a day later than recorded
        return {**base, "requester": sender, "requested": other, "received_on": "2025-03-04"}
    ev = {**base, "requester": other, "requested": sender}
    if kind == "coordination_extension_needed":
        ev["reply_by"] = "2025-04-30"
    return ev


#: (event type, the party of the case entitled to move it, the other party of the case)
ENTITLED = {
    "coordination_answered": (A, D),
    "coordination_extension_needed": (A, D),
    "coordination_withdrawn": (D, A),
    "coordination_disagreement": (A, D),
    "coordination_receipt_corrected": (D, A),
}
MOVED_TO = {
    "coordination_answered": "answered_on_time",
    "coordination_extension_needed": "extended",
    "coordination_withdrawn": "withdrawn",
    "coordination_disagreement": "escalated",
    "coordination_receipt_corrected": "awaiting",  # the same state, a later due date
}
#: the case's due date, received 03/03/2025 as recorded, and 04/03/2025 as corrected
DUE, CORRECTED_DUE = "2025-03-12", "2025-03-13"


def _key_of(keys: Keys, d_key: str, party: str) -> str:
    return {A: keys.a, B: keys.b, D: d_key}[party]


@pytest.mark.parametrize("kind", sorted(LIFECYCLE))
def test_the_entitled_party_moves_its_case(
    sec_client: TestClient, sec_keys: Keys, d_key: str, kind: str
) -> None:
    ref, cid = _open_case(sec_client, d_key)
    sender, other = ENTITLED[kind]
    ev = _lifecycle(kind, ref, sender=sender, other=other)
    r = sec_client.post("/v1/track", json=ev, headers=bearer(_key_of(sec_keys, d_key, sender)))
    assert r.status_code == 200, r.text
    got = r.json()
    assert [c["case_id"] for c in got["changes"]] == [cid]
    assert got["changes"][0]["state"] == MOVED_TO[kind]
    assert got["recorded_by"]["admin"] is False and got["recorded_by"]["acting_as"] == sender
    assert _state(sec_client, sec_keys.admin, cid) == MOVED_TO[kind]
    if kind == "coordination_receipt_corrected":
        assert got["changes"][0]["change"] == "receipt_corrected"
        assert _case(sec_client, sec_keys.admin, cid)["due"] == CORRECTED_DUE


@pytest.mark.parametrize("kind", sorted(LIFECYCLE))
def test_another_body_never_moves_the_case(
    sec_client: TestClient, sec_keys: Keys, d_key: str, kind: str
) -> None:
    """B, no party of the case, tries both ways: as itself (its own document: a
    disagreement is refused, the others match no case of B) and as the entitled party
    (refused: its key may not speak for that body). The case stays awaiting."""
    ref, cid = _open_case(sec_client, d_key)
    sender, other = ENTITLED[kind]
    as_itself = _lifecycle(kind, ref, sender=B, other=other)
    r = sec_client.post("/v1/track", json=as_itself, headers=bearer(sec_keys.b))
    if kind == "coordination_disagreement":
        assert r.status_code == 403, r.text
        assert r.json()["detail"].startswith("body.in_reply_to:")
        assert cid in r.json()["detail"]
    elif kind == "coordination_receipt_corrected":  # B sent no such request: bad input
        assert r.status_code == 422, r.text
        assert r.json()["detail"].startswith("body.in_reply_to:")
    else:
        assert r.status_code == 200, r.text
        assert r.json()["changes"] == [] and r.json()["acts_on"] == []
    as_entitled = _lifecycle(kind, ref, sender=sender, other=other)
    r = sec_client.post("/v1/track", json=as_entitled, headers=bearer(sec_keys.b))
    assert r.status_code == 403, r.text
    assert _state(sec_client, sec_keys.admin, cid) == "awaiting"
    assert _case(sec_client, sec_keys.admin, cid)["due"] == DUE


@pytest.mark.parametrize("kind", sorted(LIFECYCLE - {"coordination_disagreement"}))
def test_the_wrong_party_of_the_case_does_not_move_it(
    sec_client: TestClient, sec_keys: Keys, d_key: str, kind: str
) -> None:
    """A party of the case in the other role: the requester does not answer or extend for
    the requested body, the requested body does not withdraw the request. (Every party
    may record a disagreement: the first test.)"""
    ref, cid = _open_case(sec_client, d_key)
    sender, other = ENTITLED[kind]
    ev = _lifecycle(kind, ref, sender=sender, other=other)
    r = sec_client.post("/v1/track", json=ev, headers=bearer(_key_of(sec_keys, d_key, other)))
    assert r.status_code == 403, r.text
    assert _state(sec_client, sec_keys.admin, cid) == "awaiting"


@pytest.mark.parametrize("kind", sorted(LIFECYCLE))
def test_an_administrator_acts_for_a_party_and_the_log_says_so(
    sec_client: TestClient, sec_keys: Keys, d_key: str, kind: str
) -> None:
    ref, cid = _open_case(sec_client, d_key)
    sender, other = ENTITLED[kind]
    if kind == "coordination_disagreement":  # acting for a non-party is refused even so
        foreign = _lifecycle(kind, ref, sender=B, other=other)
        r = sec_client.post("/v1/track", json=foreign, headers=bearer(sec_keys.admin))
        assert r.status_code == 403, r.text
    ev = _lifecycle(kind, ref, sender=sender, other=other)
    r = sec_client.post("/v1/track", json=ev, headers=bearer(sec_keys.admin))
    assert r.status_code == 200, r.text
    got = r.json()
    assert got["recorded_by"] == {"key_id": got["recorded_by"]["key_id"], "party": None,
                                  "admin": True, "acting_as": sender}  # fmt: skip
    assert [c["case_id"] for c in got["changes"]] == [cid]
    logged = sec_client.get(f"/v1/decisions/{got['receipt']['decision_id']}",
                            headers=bearer(sec_keys.admin))  # fmt: skip
    assert logged.status_code == 200, logged.text
    assert '"admin": true' in logged.text.replace('"admin":true', '"admin": true')
    assert _state(sec_client, sec_keys.admin, cid) == MOVED_TO[kind]


def _minimal(etype: str, sender: str) -> dict[str, Any]:
    """A valid event of ``etype`` whose single-party fields all name ``sender``."""
    model = EVENT_TYPES[etype]
    ev: dict[str, Any] = {"type": etype, "date": "2025-03-03", "reference": _ref()}
    for name, info in condition_fields(etype).items():
        if not model.model_fields[name].is_required():
            continue
        if info.kind == "party":
            ev[name] = sender
        elif info.kind == "party_list":
            ev[name] = [D]
        elif info.kind == "bool":
            ev[name] = True
        else:
            ev[name] = next(iter(info.enum)).value
    if "in_reply_to" in model.model_fields:
        ev["in_reply_to"] = _ref()
    parse_event(ev)  # valid, or the matrix below tests nothing
    return ev


@pytest.mark.parametrize("etype", sorted(set(EVENT_TYPES) - LIFECYCLE))
def test_every_other_event_type_is_recorded_only_as_ones_own_body(
    sec_client: TestClient, sec_keys: Keys, etype: str
) -> None:
    """The rest of the matrix: an event that moves no case is recorded by its sender
    (the "party" here), refused for another body, and recorded by an administrator with
    ``recorded_by`` saying so. An event naming no sender is an administrator's only."""
    ev = _minimal(etype, A)
    has_sender = any(v == A for k, v in ev.items() if k != "type")
    own = sec_client.post("/v1/track", json=ev, headers=bearer(sec_keys.a))
    assert own.status_code == (200 if has_sender else 403), own.text
    other = sec_client.post("/v1/track", json={**ev, "reference": _ref()},
                            headers=bearer(sec_keys.b))  # fmt: skip
    assert other.status_code == 403, other.text
    admin = sec_client.post("/v1/track", json={**ev, "reference": _ref()},
                            headers=bearer(sec_keys.admin))  # fmt: skip
    assert admin.status_code == 200, admin.text
    assert admin.json()["recorded_by"]["admin"] is True


# --- the library and the CLI obey the same rule ----------------------------------------------


def test_library_refuses_a_foreign_disagreement_and_writes_nothing(tmp_path: Path) -> None:
    with Tracker(tmp_path / "t.db") as t:
        ref = _ref()
        t.record({"type": "coordination_requested", "date": "2025-03-03",
                  "received_on": "2025-03-03", "reference": ref, "requester": D,
                  "requested": A})  # fmt: skip
        before = t.store.counts()
        foreign = _lifecycle("coordination_disagreement", ref, sender=B, other=D)
        with pytest.raises(AuthorityError, match=r"^in_reply_to: .*không phải"):
            t.record(foreign)  # no actor: the operator, yet the sender is no party
        with pytest.raises(AuthorityError, match=r"\[1\] in_reply_to:"):
            t.record_many([_minimal("meeting_planned", A), foreign])
        assert t.store.counts() == before
        with pytest.raises(AuthorityError, match=r"^requested: "):
            t.record(_lifecycle("coordination_answered", ref, sender=A, other=D),
                     actor=Actor(party=B))  # fmt: skip
        (case,) = t.cases(as_of=__import__("datetime").date(2025, 3, 5))
        assert case.state is CaseState.AWAITING


def test_batch_may_open_and_move_its_own_case(tmp_path: Path) -> None:
    ref = _ref()
    request = {
        "type": "coordination_requested",
        "date": "2025-03-03",
        "received_on": "2025-03-03",
        "reference": ref,
        "requester": D,
        "requested": A,
    }
    with Tracker(tmp_path / "t.db") as t:
        t.record_many([request, _lifecycle("coordination_disagreement", ref, sender=A,
                                           other=D)])  # fmt: skip
        with pytest.raises(AuthorityError):
            t.record_many([{**request, "reference": ref + "x"},
                           _lifecycle("coordination_disagreement", ref + "x", sender=B,
                                      other=D)])  # fmt: skip


def test_cli_as_option_and_the_foreign_disagreement(tmp_path: Path) -> None:
    import json

    db = str(tmp_path / "cli.db")
    ref = _ref()
    files = {}
    for name, ev in {
        "req": {"type": "coordination_requested", "date": "2025-03-03",
                "received_on": "2025-03-03", "reference": ref, "requester": D,
                "requested": A},
        "foreign": _lifecycle("coordination_disagreement", ref, sender=B, other=D),
        "answer": _lifecycle("coordination_answered", ref, sender=A, other=D),
    }.items():  # fmt: skip
        files[name] = tmp_path / f"{name}.json"
        files[name].write_text(json.dumps(ev, ensure_ascii=False), encoding="utf-8")
    run = CliRunner().invoke
    assert run(cli, ["track", "record", str(files["req"]), "--db", db]).exit_code == 0
    r = run(cli, ["track", "record", str(files["foreign"]), "--db", db])
    assert r.exit_code == 2 and "in_reply_to:" in r.output and "Traceback" not in r.output
    r = run(cli, ["track", "record", str(files["answer"]), "--db", db, "--as", B])
    assert r.exit_code == 2 and "requested:" in r.output
    r = run(cli, ["track", "record", str(files["answer"]), "--db", db, "--as", A])
    assert r.exit_code == 0, r.output


def test_applies_to_agrees_with_the_fold() -> None:
    """``authority`` decides which cases an act moves with the fold's own rule."""
    import datetime as dt

    day = dt.date(2025, 3, 3)
    for obligated, cps in ((A, ()), (A, (B,)), (B, (D,)), (D, ())):
        seed = seed_case(cid="c1", rule_id="r", obligated=obligated, counterparties=cps,
                         requester=D, reference="x", opened_seq=1, opened_on=day,
                         opened_type="t", due=day, due_provisional=False,
                         silence_means=None)  # fmt: skip
        for act in (Act(2, day, "coordination_answered", A),
                    Act(2, day, "coordination_withdrawn", B),
                    Act(2, day, "coordination_receipt_corrected", A, (), day),
                    Act(2, day, "coordination_disagreement", None, (B, D)),
                    Act(2, day, "coordination_disagreement", None, (A,))):  # fmt: skip
            cp = CaseParties("c1", obligated, cps, D)
            assert _applies_to(cp, act) == _applies(seed, act)
