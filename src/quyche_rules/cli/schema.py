"""``quyche schema``: the JSON Schemas of events and obligations."""

from __future__ import annotations

from typing import Any

import typer

from quyche_rules.cli.common import dump, fail

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


def _outputs() -> dict[str, Any]:
    """The ``--json`` outputs of the CLI, each the model its HTTP twin answers with."""
    from pydantic import TypeAdapter

    from quyche_rules.engine.whynot import WhyNot
    from quyche_rules.service.models import CoverageOut, DutyOut, KeyOut, RuleOut

    return {
        "rules-show": TypeAdapter(RuleOut),
        "rules-coverage": TypeAdapter(CoverageOut),
        "duties": TypeAdapter(list[DutyOut]),
        "keys-list": TypeAdapter(list[KeyOut]),
        "why-not": TypeAdapter(WhyNot),
    }


@schema_app.command("output")
def schema_output(
    command: str = typer.Argument(help="rules-show, rules-coverage, duties, keys-list or why-not"),
) -> None:
    """JSON Schema of a command's ``--json`` output (the same models as the HTTP API)."""
    from quyche_rules.rulebook.schemas import DIALECT

    adapters = _outputs()
    if command not in adapters:
        fail(f"command: no published output schema for {command!r} ({', '.join(adapters)})")
    schema = adapters[command].json_schema(mode="serialization")
    dump({"$schema": DIALECT, **schema}, indent=2)
