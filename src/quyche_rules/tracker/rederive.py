"""A provisional due date counted again once the year's official arrangement is recorded.

A due date whose counted span touches a year with no recorded official arrangement of
days off (``rules/calendar/vn-civil-service.yaml``) is an estimate: the case is followed
with ``due_provisional`` and never becomes consent by silence (``model._lapse``). When the
arrangement of that year is recorded — a new calendar file, shipped with a release or in a
rules directory — every such case is counted again on it.

**On read, not by ``quyche track rebuild``.** The log keeps each decision as it was taken
(what the engine said that day, with its rulebook hash: an audit must be able to show it),
and the projection is rebuilt from the log alone, with no engine and no calendar, by
design. The reader has both: it asks the engine (``Engine.due_of``) for the due date of the
opening event's rule on today's calendar, for the provisional cases only (the few whose
span touches an unrecorded year), so the new date applies from the moment the calendar
data is updated, with no operator step to forget. The case keeps its id; its history says
the due date was counted again, from which date to which.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from quyche_rules.errors import QuycheError
from quyche_rules.tracker.model import Act, Case, HistoryEntry

#: (rule id, validated event) → (due, provisional), or None: no such rule or no deadline
DueOf = Callable[[str, Any], "tuple[Any, bool] | None"]


#: answers of ``due_of`` already asked, by (opening record, rule id): None when the recorded
#: decision stands (no event, an event that no longer validates, no due date)
Memo = dict[tuple[int, str], "tuple[Any, bool] | None"]


def rederive(
    pairs: Sequence[tuple[Case, list[Act]]],
    events_of: Callable[[Sequence[int]], Mapping[int, str]],
    parse: Callable[[str], Any],
    due_of: DueOf,
    memo: Memo | None = None,
) -> list[tuple[Case, list[Act]]]:
    """Each seed whose due date was provisional, counted again (the others untouched).
    ``events_of`` reads the opening events' JSON by sequence number, ``parse`` validates
    one, ``due_of`` is the engine's ``due_of``. ``memo`` keeps the answers across calls,
    for a caller whose engine (rulebook and calendar) does not change: the tracker, so a
    status page does not read and validate the same opening events on every request."""
    known: Memo = {} if memo is None else memo
    todo = [
        seed.opened_seq
        for seed, _ in pairs
        if seed.due_provisional and (seed.opened_seq, seed.rule_id) not in known
    ]
    events = events_of(todo) if todo else {}
    out: list[tuple[Case, list[Act]]] = []
    for seed, acts in pairs:
        if seed.due_provisional:
            key = (seed.opened_seq, seed.rule_id)
            if key not in known:
                known[key] = _asked(events.get(seed.opened_seq), seed.rule_id, parse, due_of)
            got = known[key]
            if got is not None:
                seed = _moved(seed, got)
        out.append((seed, acts))
    return out


def _asked(
    js: str | None, rule_id: str, parse: Callable[[str], Any], due_of: DueOf
) -> tuple[Any, bool] | None:
    """The engine's due date for the opening event ``js``, or None: the recorded decision
    stands."""
    if js is None:
        return None
    try:
        event = parse(js)
    except (QuycheError, ValueError):  # ValueError: pydantic's ValidationError
        # the event no longer validates (a profile's body gone from the file): the
        # recorded decision stands, provisional as it was
        return None
    return due_of(rule_id, event)


def again(seed: Case, event: Any, due_of: DueOf) -> Case:
    """One provisional seed counted on today's calendar: unchanged when the answer is the
    same (or the rule no longer gives one: the recorded decision stands)."""
    return _moved(seed, due_of(seed.rule_id, event))


def _moved(seed: Case, got: tuple[Any, bool] | None) -> Case:
    if got is None or got[0] is None:
        return seed
    due, provisional = got
    if due == seed.due and provisional == seed.due_provisional:
        return seed
    why = (
        "the year's official arrangement is now recorded"
        if not provisional
        else "still provisional: the estimate changed"
    )
    note = HistoryEntry(
        -1,
        seed.opened_on,
        "rederived",
        f"due counted again: {seed.due.isoformat()} → {due.isoformat()} ({why})",
    )
    return replace(
        seed,
        due=due,
        original_due=due,
        due_provisional=provisional,
        history=(*seed.history, note),
    )
