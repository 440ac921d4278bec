"""Hypothesis strategies for events naming the concrete bodies of a profile."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import strategies as st

from quyche_rules.engine.engine import Engine
from quyche_rules.model.event_checks import condition_fields
from quyche_rules.model.events import EVENT_TYPES
from quyche_rules.model.parties import PartyRegistry

from .strategies import _witness

# inside every body's validity in the shipped profile, and after its signing-date bound
profile_dates = st.dates(dt.date(2023, 8, 14), dt.date(2025, 2, 28))


def party_fields(event_type: str) -> list[str]:
    return [n for n, i in condition_fields(event_type).items() if i.kind in ("party", "party_list")]


def put_party(ev: dict[str, Any], field: str, pid: str) -> None:
    """Name ``pid`` in ``field`` (as a one-element list where the field is a list)."""
    ev[field] = [pid] if condition_fields(ev["type"])[field].kind == "party_list" else pid


@st.composite
def profile_events(
    draw: st.DrawFn, engine: Engine, trigger: Any | None = None, with_context: bool = True
) -> dict[str, Any]:
    """A valid event whose party fields take ids of the regulation *and* the profile,
    optionally built to satisfy ``trigger``, optionally with ``agency`` / ``district``."""
    reg: PartyRegistry = engine.parties
    ids = sorted(reg.parties)
    t = trigger if trigger is not None else draw(st.sampled_from(engine.triggers))
    etype = t.event_type
    model = EVENT_TYPES[etype]
    data: dict[str, Any] = {"type": etype, "date": draw(profile_dates).isoformat()}
    for name, info in condition_fields(etype).items():
        required = model.model_fields[name].is_required()
        if info.kind == "party":
            s: st.SearchStrategy[Any] = st.sampled_from(ids)
        elif info.kind == "party_list":
            s = st.lists(st.sampled_from(ids), min_size=1, max_size=3)
        elif info.kind == "bool":
            s = st.booleans()
        else:
            assert info.enum is not None
            s = st.sampled_from([e.value for e in info.enum])
        if required or draw(st.booleans()):
            data[name] = draw(s)
    if t.condition is not None and draw(st.integers(0, 3)) > 0:
        forced: dict[str, Any] = {}
        _witness(draw, t.condition, forced)
        data.update(forced)
    if with_context:
        agencies = sorted(reg.members("co_quan_thuoc_khoi"))
        if agencies and draw(st.booleans()):
            data["agency"] = draw(st.sampled_from(agencies))
        if reg.districts and draw(st.booleans()):
            data["district"] = draw(st.sampled_from(sorted(reg.districts)))
    return data
