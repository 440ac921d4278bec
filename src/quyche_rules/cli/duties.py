"""``quyche duties``: every rule that binds a body."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from quyche_rules.cli.common import IndentOpt, ProfileOpt, dump, engine_for, fail, out
from quyche_rules.errors import excerpt


def duties(
    party: Annotated[str, typer.Argument(help="party id or name (diacritics optional)")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
    profile: ProfileOpt = None,
    indent: IndentOpt = None,
) -> None:
    """Every rule that binds PARTY: standing, periodic and event-triggered duties."""
    engine = engine_for("python", profile)
    try:
        p = engine.parties.resolve(party)
    except KeyError:
        fail(f"party: unknown party {excerpt(party)} (see rules/parties.yaml and the profile)")
    entries = engine.duties_of(p.id)
    if as_json:
        # the shape of GET /v1/duties/{party}'s "duties": basis is an object, as in
        # notify --json (it was the string "Điều 2.2" before)
        from quyche_rules.model.obligations import BasisOut

        dump(
            [
                {
                    "rule_id": e.rule.id,
                    "basis": BasisOut.of(e.rule.basis).model_dump(mode="json"),
                    "binds_as": e.binds_as,
                    "duty": e.rule.duty.value,
                    "form": e.rule.form.value,
                    "counterparties": list(e.rule.counterparties),
                    "triggers": e.rule.trigger_labels(),
                    "summary_en": e.rule.summary_en,
                }
                for e in entries
            ],
            indent,
        )
        return
    table = Table(title=f"{p.name_vi} ({p.id}): {len(entries)} quy tắc", title_justify="left")
    for col in ("Căn cứ", "Quy tắc", "Nghĩa vụ", "Khi nào", "Ràng buộc"):
        table.add_column(col, overflow="fold")
    for e in entries:
        table.add_row(
            str(e.rule.basis),
            e.rule.id,
            e.rule.duty.value,
            "\n".join(e.rule.trigger_labels()),
            e.binds_as,
        )
    out.print(table)
