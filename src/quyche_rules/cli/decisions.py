"""``quyche decisions``: export the HTTP service's decision log, and prune it.

``export --from D --to D`` writes JSON Lines (one decision per line, ISO dates, ``to``
exclusive) with the free-text ``summary`` of each input masked unless ``--unmasked``;
``prune --before D`` deletes the decisions decided before that date and leaves a chained
record of the pruning, so ``quyche audit verify`` still passes.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated

import typer

from quyche_rules.cli.common import fail
from quyche_rules.cli.deliver import DbOption, party_id, tracker_store

decisions_app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__)


def _day(value: str | None, place: str) -> dt.date | None:
    if value is None:
        return None
    from quyche_rules.model.field_types import strict_date

    try:
        return strict_date(value)
    except ValueError:
        fail(f"{place}: {value!r} is not an ISO date (YYYY-MM-DD)")


@decisions_app.command("export")
def export(
    start: Annotated[str | None, typer.Option("--from", help="first day, YYYY-MM-DD")] = None,
    end: Annotated[str | None, typer.Option("--to", help="day after the last, YYYY-MM-DD")] = None,
    party: Annotated[str | None, typer.Option(help="only decisions naming this body")] = None,
    rule: Annotated[str | None, typer.Option(help="only decisions whose result names it")] = None,
    unmasked: Annotated[
        bool, typer.Option("--unmasked", help="keep free text that may name a person")
    ] = False,
    db: DbOption = None,
) -> None:
    """Decisions as JSON Lines, oldest first."""
    from quyche_rules.delivery.audit import iter_decisions

    engine = tracker_store(db).engine
    for d in iter_decisions(
        engine,
        start=_day(start, "--from"),
        end=_day(end, "--to"),
        party=party_id(party) if party else None,
        rule=rule,
        unmasked=unmasked,
    ):
        typer.echo(json.dumps(d, ensure_ascii=False, sort_keys=True))


@decisions_app.command("prune")
def prune(
    before: Annotated[str, typer.Option("--before", help="delete decisions before this day")],
    db: DbOption = None,
) -> None:
    """Retention: delete old decisions, leaving a chained record of the pruning."""
    from quyche_rules.delivery.audit import prune as do_prune

    day = _day(before, "--before")
    assert day is not None
    got = do_prune(tracker_store(db).engine, day)
    typer.echo(json.dumps({"pruned": got.decisions, "through_link": got.through_seq,
                           "record_link": got.anchor_seq, "key_days": got.key_days}))  # fmt: skip
