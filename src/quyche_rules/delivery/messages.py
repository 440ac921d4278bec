"""What a message says: its kind, its stable id, and its payload (Vietnamese first).

Pure functions, no I/O. A message id is a hash of what the message is about (the
subscription, the kind, and the record or case and date that cause it), never a counter:
the same cause always gives the same id, so writing it twice is a no-op and a receiver can
de-duplicate on ``webhook-id`` whatever a worker retried.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Mapping
from typing import Any

from quyche_rules.tracker.model import STATE_VI, Case

NameOf = Callable[[str], str]

NEW_OBLIGATION = "obligation.new"
REMINDER = "case.reminder"
OVERDUE = "case.overdue"
CONSENT = "case.deemed_consent"
ANSWERED = "case.answered"
ESCALATED = "case.escalated"
DUE_CHANGED = "case.due_changed"

KINDS: Mapping[str, str] = {
    NEW_OBLIGATION: "nghĩa vụ mới của cơ quan hoặc đối với cơ quan",
    REMINDER: "nhắc trước hạn N ngày làm việc",
    OVERDUE: "quá hạn",
    CONSENT: "quá hạn không phản hồi: xem là đồng ý (Điều 3.1)",
    ANSWERED: "đã trả lời",
    ESCALATED: "không thống nhất, báo cáo cấp trên",
    DUE_CHANGED: "hạn thay đổi: ngày nhận văn bản được đính chính, gia hạn, hoặc hạn tạm tính "
    "được tính lại",
}
DEFAULT_REMIND_DAYS = 2


def message_id(sub_id: str, kind: str, *about: str) -> str:
    """``msg_`` and 40 hex digits of sha256 over the subscription, the kind and the cause."""
    digest = hashlib.sha256("\x1f".join((sub_id, kind, *about)).encode()).hexdigest()
    return "msg_" + digest[:40]


def vn_date(d: dt.date) -> str:
    """A date as a person reads it (dd/mm/yyyy); JSON fields keep ISO."""
    return d.strftime("%d/%m/%Y")


def dumps(payload: Mapping[str, Any]) -> str:
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def duty_payload(
    *,
    kind: str,
    party: str,
    seq: int,
    event_type: str,
    reference: str | None,
    duty: Mapping[str, Any],
    case_id: str | None,
    name_of: NameOf,
) -> dict[str, Any]:
    """A new obligation the recorded event creates for ``party`` or towards it."""
    who = name_of(str(duty["obligated"]))
    to = ", ".join(name_of(c) for c in duty["counterparties"]) or "-"
    due = duty.get("due")
    text_vi = f"Nghĩa vụ mới ({duty['rule_id']}): {who} → {to}"
    text_en = f"New obligation ({duty['rule_id']}): {duty['obligated']} → " + (
        ", ".join(duty["counterparties"]) or "-"
    )
    if due:
        d = dt.date.fromisoformat(due)
        text_vi += f"; hạn {vn_date(d)}" + (" (tạm tính)" if duty.get("due_provisional") else "")
        text_en += f"; due {due}"
    return {
        "type": kind,
        "party": party,
        "record_seq": seq,
        "event_type": event_type,
        "reference": reference,
        "case_id": case_id,
        "duty": dict(duty),
        "text_vi": text_vi,
        "text_en": text_en,
    }


CASE_TEXT: Mapping[str, tuple[str, str]] = {
    REMINDER: ("Nhắc hạn", "Reminder"),
    OVERDUE: ("Quá hạn", "Overdue"),
    CONSENT: ("Quá hạn không phản hồi, xem là đồng ý (Điều 3.1)", "Deemed consent (Art. 3.1)"),
    ANSWERED: ("Đã trả lời", "Answered"),
    ESCALATED: ("Không thống nhất, báo cáo cấp trên (Điều 2.2)", "Escalated (Art. 2.2)"),
    DUE_CHANGED: (
        "Hạn thay đổi (đính chính ngày nhận văn bản)",
        "Due date changed (date of receipt corrected)",
    ),
}


#: why a due date moved (``cause`` in a ``case.due_changed`` payload) and how a person
#: reads it: the text of ``CASE_TEXT`` for the kind is the correction's, kept as it was
RECEIPT_CORRECTED = "receipt_corrected"
EXTENDED = "extension"
REDERIVED = "rederived"
DUE_CAUSE_TEXT: Mapping[str, tuple[str, str]] = {
    RECEIPT_CORRECTED: CASE_TEXT[DUE_CHANGED],
    EXTENDED: (
        "Hạn thay đổi (cơ quan được đề nghị xin thêm thời gian, Điều 3.1)",
        "Due date changed (the requested body asked for more time, Art. 3.1)",
    ),
    REDERIVED: (
        "Hạn thay đổi (hạn tạm tính được tính lại theo lịch nghỉ chính thức của năm)",
        "Due date changed (the provisional due date counted again on the year's official days off)",
    ),
}


def wants(kinds: tuple[str, ...], kind: str) -> bool:
    """Whether a subscription to ``kinds`` receives ``kind``. A due-date change is a change
    of the obligation a subscriber to new obligations was told about, so those receive it
    too: subscriptions made before the kind existed (their kinds are stored as listed
    then) keep being told when a due date they know moves."""
    return kind in kinds or (kind == DUE_CHANGED and NEW_OBLIGATION in kinds)


def case_payload(
    kind: str, party: str, case: Case, name_of: NameOf, **extra: Any
) -> dict[str, Any]:
    """A message about one case as its fold leaves it."""
    vi, en = DUE_CAUSE_TEXT[extra["cause"]] if "cause" in extra else CASE_TEXT[kind]
    prov_vi = " (hạn tạm tính)" if case.due_provisional else ""
    before = extra.get("due_before")
    was_vi = f" (trước đây: {vn_date(dt.date.fromisoformat(before))})" if before else ""
    was_en = f" (was {before})" if before else ""
    return {
        "type": kind,
        "party": party,
        "case_id": case.id,
        "case": {
            "id": case.id,
            "rule_id": case.rule_id,
            "reference": case.reference,
            "obligated": case.obligated,
            "counterparties": list(case.counterparties),
            "requester": case.requester,
            "due": case.due.isoformat(),
            "due_provisional": case.due_provisional,
            "state": case.state.value,
            "consent_since": case.consent_since.isoformat() if case.consent_since else None,
        },
        "text_vi": f"{vi}: văn bản {case.reference} — {name_of(case.obligated)} trả lời "
        f"{name_of(case.requester)}, hạn {vn_date(case.due)}{prov_vi}{was_vi}; trạng thái: "
        f"{STATE_VI[case.state]}",
        "text_en": f"{en}: document {case.reference} — {case.obligated} answers "
        f"{case.requester}, due {case.due.isoformat()}{was_en}; state: {case.state.value}",
        **extra,
    }
