"""Who may move a case: the one rule the library, ``quyche track`` and ``POST /v1/track``
all obey, because all three record through ``Tracker.record``.

Two questions, asked before anything is written:

1. **May this caller speak as the event's sender?** (``check_actor``) The sender is the
   tracker's own (``model.sender_of``): the requested body for an answer or an extension,
   the requester for a withdrawal, the lead party for a disagreement. An ``Actor`` bound to
   a body speaks for that body and for the bodies it acts for (``acts_for``, transitively);
   an administrator speaks for any body, and the result says it did. No actor at all is the
   local operator of the database file (library, CLI without ``--as``): it can write the
   file anyway, so only the second question is asked.
2. **May that sender move each recorded case the event acts on?** (``check_moves``) The
   table ``MAY_MOVE``, read from Art. 3.1 and Art. 2.2:

   ==================================  ===================================================
   event type                          who may move the case
   ==================================  ===================================================
   ``coordination_answered``           the requested body (the case's obligated body)
   ``coordination_extension_needed``   the requested body (the case's obligated body)
   ``coordination_withdrawn``          the requester (the body that sent the request)
   ``coordination_receipt_corrected``  the requester (it recorded the day of receipt)
   ``coordination_disagreement``       a party of the case: requester, obligated body or
                                       a counterparty (Art. 2.2: "các bên")
   ==================================  ===================================================

   When the case's obligated body has ended, the body holding its business on the act's
   date (``succession.inheritor``) stands in for it as the requested body: its answer,
   extension or the withdrawal sent to it moves the case (the fold's reading, written in
   ``model``), and it — not the ended body — holds the role ``obligated`` for them.

   The fold already applies an answer or an extension only to the case whose obligated
   body (or that body's successor) is its ``requested`` body, and a withdrawal only to
   its sender's own documents, so for those three the check restates what the fold does.
   A disagreement names its parties freely and its ``in_reply_to`` is looked up among the
   documents of every party it names: without this check, any body could name another
   body's requester among the "other parties" and close that body's case for good.

A refusal is an ``AuthorityError`` (HTTP 403), raised before the transaction commits, so
nothing is written. It names the field and the case; the case ids of a refused event's
targets are its own inputs' hash (sender, reference, rule), so the message tells the
caller nothing it could not compute, except that such a case exists — documented in
``docs/security.md`` (references are chosen by the bodies, never by this system).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from quyche_rules.model.parties import PartyKind, PartyRegistry
from quyche_rules.tracker.model import (
    ANSWERED,
    CORRECTED,
    DISAGREEMENT,
    EXTENSION,
    INHERITED_ACTS,
    WITHDRAWN,
    Act,
    TrackerError,
)
from quyche_rules.tracker.succession import inheritor

#: event type → the role in a case that may move it (see the module docstring)
MAY_MOVE: Mapping[str, str] = {
    ANSWERED: "obligated",
    EXTENSION: "obligated",
    WITHDRAWN: "requester",
    DISAGREEMENT: "party",
    # the requester recorded the day of receipt in its request, so it corrects it; the
    # requested body has the text's own way to get more time (an extension, which never
    # shortens) and may not move its own due date by re-dating the receipt
    CORRECTED: "requester",
}

ROLE_VI: Mapping[str, str] = {
    "obligated": "cơ quan được đề nghị (phải trả lời)",
    "requester": "cơ quan đề nghị",
    "party": "một bên của hồ sơ",
}


class AuthorityError(TrackerError):
    """The caller may not move a case the event acts on, or may not speak as its sender."""


@dataclass(frozen=True)
class Actor:
    """Who records: a body (``party``), or an administrator (``admin``) acting for any."""

    party: str | None = None
    admin: bool = False
    key_id: str | None = None  # for messages and the log only, never a secret

    def __post_init__(self) -> None:
        if self.admin == (self.party is not None):
            raise ValueError("an actor is either an administrator or one body")


@dataclass(frozen=True)
class CaseParties:
    """The parties of a recorded case, as the case index holds them."""

    case_id: str
    obligated: str
    counterparties: tuple[str, ...]
    requester: str


def acts_for_chain(party: str, registry: PartyRegistry | None) -> tuple[str, ...]:
    """``party`` and the bodies it acts for, transitively. Class membership is not acting
    for: a member of a class does not speak for its class."""
    out = [party]
    cur = registry.parties.get(party) if registry is not None else None
    while cur is not None and cur.acts_for is not None and cur.acts_for not in out:
        out.append(cur.acts_for)
        cur = registry.parties.get(cur.acts_for) if registry is not None else None
    return tuple(out)


def check_actor(
    actor: Actor | None, sender: str | None, sender_field: str, registry: PartyRegistry | None
) -> None:
    """Refuse unless ``actor`` may record an event sent by ``sender`` (see question 1)."""
    if actor is None or actor.admin:
        return
    if sender is None:
        raise AuthorityError(
            "type: sự kiện không có cơ quan gửi, chỉ quản trị viên được ghi / names no "
            "sender; only an administrator records it"
        )
    assert actor.party is not None
    if sender not in acts_for_chain(actor.party, registry):
        raise AuthorityError(
            f"{sender_field}: {actor.party} không được ghi thay {sender} / "
            f"{actor.party} may not record as {sender!r}"
        )


def holds_role(sender: str, role: str, case: CaseParties, registry: PartyRegistry | None) -> bool:
    """Does ``sender`` hold ``role`` in ``case``? A body counts as a party it is a member
    of (a class among the parties names its members) or acts for."""
    if role == "obligated":
        names: tuple[str, ...] = (case.obligated,)
    elif role == "requester":
        names = (case.requester,)
    else:
        names = (case.obligated, *case.counterparties, case.requester)
    if sender in names:
        return True
    if registry is None:
        return False
    mine = set(acts_for_chain(sender, registry))
    for pid in names:
        if pid in mine:
            return True
        p = registry.parties.get(pid)
        if p is not None and p.kind is PartyKind.CLASS and sender in p.members:
            return True
    return False


def check_moves(
    sender: str | None,
    act: Act | None,
    cases: Iterable[CaseParties],
    registry: PartyRegistry | None,
) -> None:
    """Refuse unless ``sender`` may move every case in ``cases`` that ``act`` applies to
    (see question 2). ``cases``: the recorded cases of the documents the event targets."""
    if act is None:
        return
    role = MAY_MOVE.get(act.kind)
    if role is None:
        return
    for c in cases:
        if not _applies_to(c, act, registry):
            continue
        if role == "obligated" and c.obligated != act.requested and act.requested is not None:
            c = replace(c, obligated=act.requested)  # its successor's act (``_heir_acts``)
        if sender is None or not holds_role(sender, role, c, registry):
            raise AuthorityError(
                f"in_reply_to: {sender or 'không ai'} không phải {ROLE_VI[role]} của hồ sơ "
                f"{c.case_id}, không được {act.kind} / {sender or 'no sender'} is not "
                f"the {role} of case {c.case_id}: may not record {act.kind} on it"
            )


def _applies_to(c: CaseParties, act: Act, registry: PartyRegistry | None = None) -> bool:
    """Whether the fold would step ``c`` on ``act``: ``model._applies``, which reads only
    these fields of a case and, for an ended obligated body, its successors — read here
    from the same registry (a test holds the two to the same answers)."""
    if act.kind == DISAGREEMENT:
        return c.obligated in act.parties or any(p in act.parties for p in c.counterparties)
    return c.obligated == act.requested or _heir_acts(c, act, registry)


def _heir_acts(c: CaseParties, act: Act, registry: PartyRegistry | None) -> bool:
    """The act names, as its requested body, the one holding the ended obligated body's
    business on the act's date."""
    if registry is None or act.kind not in INHERITED_ACTS or act.requested is None:
        return False
    p = registry.parties.get(c.obligated)
    if p is None or p.valid_to is None or p.valid_to >= act.date:
        return False
    return inheritor(registry, c.obligated, act.date) == act.requested


__all__ = [
    "MAY_MOVE",
    "Actor",
    "AuthorityError",
    "CaseParties",
    "acts_for_chain",
    "check_actor",
    "check_moves",
    "holds_role",
]
