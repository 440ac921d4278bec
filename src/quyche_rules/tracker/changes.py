"""What one recorded event did to the cases: the list ``POST /v1/track`` answers with, so
a caller always learns every case its event moved (a disagreement can move several), and
the decision log keeps it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from quyche_rules.tracker.model import Case

#: how an event changed a case: "opened", or the history kind of its step ("answered",
#: "extension", "escalated", "disagreement", "withdrawn")
OPENED = "opened"


def changes_of(seq: int, opened: Sequence[Case], acting: Sequence[Case]) -> list[dict[str, Any]]:
    """One entry per case the record ``seq`` opened or stepped, as of the event's date:
    the case id, how (``change``), the state it is in after and the history line. A
    lifecycle event that matched a case but left it as it was (an extension after the due
    date...) still appears: its history line says why nothing moved."""
    out: list[dict[str, Any]] = []
    for c in opened:
        out.append({"case_id": c.id, "change": OPENED, "state": c.state.value, "text": ""})
    for c in acting:
        for h in c.history:
            if h.seq == seq:
                out.append(
                    {"case_id": c.id, "change": h.kind, "state": c.state.value, "text": h.text}
                )
    return out
