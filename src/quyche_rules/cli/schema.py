"""``quyche schema``: the JSON Schemas of events and obligations."""

from __future__ import annotations

import typer

from quyche_rules.cli.common import dump

schema_app = typer.Typer(no_args_is_help=True, help="Machine-readable schemas.")


@schema_app.command("events")
def schema_events() -> None:
    """JSON Schema of every event type (a discriminated union on ``type``)."""
    from quyche_rules.rulebook.schemas import events_schema

    dump(events_schema(), indent=2)


@schema_app.command("obligations")
def schema_obligations() -> None:
    """JSON Schema of ``quyche notify --json`` (an array of obligations)."""
    from quyche_rules.rulebook.schemas import obligations_schema

    dump(obligations_schema(), indent=2)
