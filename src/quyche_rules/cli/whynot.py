"""``quyche why-not``: why a rule did (not) fire for an event, condition by condition."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from quyche_rules.cli.common import (
    IndentOpt,
    MaxBytes,
    ProfileOpt,
    dump,
    engine_for,
    fail,
    limits_for,
    out,
    read_event_arg,
)
from quyche_rules.errors import QuycheError


def why_not(
    event_file: Annotated[str, typer.Argument(help="an event file (YAML or JSON), or -")],
    rule_id: Annotated[str, typer.Argument(help="a rule id (quyche rules coverage)")],
    as_json: Annotated[
        bool, typer.Option("--json", help="JSON: quyche schema output why-not")
    ] = False,
    profile: ProfileOpt = None,
    indent: IndentOpt = None,
    max_bytes: MaxBytes = None,
) -> None:
    """For EVENT_FILE and RULE_ID: per trigger of the rule, whether it matched and each
    condition that failed (field, the event's value, the values needed)."""
    engine = engine_for("python", profile)
    try:
        event = read_event_arg(event_file, limits_for(max_bytes))
        why = engine.explain_not(event, rule_id)
    except QuycheError as exc:
        fail(str(exc))
    if as_json:
        dump(why.model_dump(mode="json"), indent)
        return
    verdict = "ÁP DỤNG · fired" if why.fired else "KHÔNG áp dụng · did not fire"
    out.print(f"[bold]{escape(why.rule_id)}[/bold]: {verdict}")
    for t in why.triggers:
        head = f"  trigger {t.index} ({t.event_type or 'standing'}): {t.reason}"
        out.print(escape(head))
        for f in t.failed:
            alt = f" [{f.alternative}]" if f.alternative else ""
            line = f"    {f.field}{alt}: có {f.had!r}, cần {f.test} {f.needed!r}"
            out.print(escape(line))
