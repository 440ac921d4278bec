"""``quyche duties``: every rule that binds a body."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from quyche_rules.cli.common import IndentOpt, ProfileOpt, dump, engine_for, fail, out
from quyche_rules.errors import excerpt
from quyche_rules.i18n import _, language
from quyche_rules.model.vocabulary import DUTIES
from quyche_rules.pages.phrases import default_phrasebook


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
        fail(
            _(
                "party: unknown party {party} (see rules/parties.yaml and the profile)",
                party=excerpt(party),
            )
        )
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
    vi = language() == "vi"
    title = _("{name} ({id}): {count} rules", name=p.name_vi, id=p.id, count=len(entries))
    table = Table(title=title, title_justify="left", show_lines=True)
    for col in (_("Basis"), _("Rule"), _("Duty"), _("When"), _("Bound")):
        table.add_column(col, overflow="fold")
    phrases = default_phrasebook()
    for e in entries:
        duty = DUTIES[e.rule.duty]
        when = phrases.rule_sentences(e.rule, engine.parties)
        table.add_row(
            str(e.rule.basis),
            e.rule.id,
            duty[0] if vi else duty[1],
            "\n".join(w.vi if vi else w.en for w in when),
            _binds(e, engine),
        )
    out.print(table)


def _binds(entry: Any, engine: Any) -> str:
    """How a rule binds the body, in words and names (the engine's ``binds_as`` is data:
    "named", "member of <id>", "when the event names it as <field>")."""
    vi = language() == "vi"
    if entry.via:
        links = []
        for relation, pid in entry.via:
            name = engine.parties.parties[pid].name_vi  # official names, as the text writes them
            if relation == "member of":
                links.append(_("member of {party}", party=name))
            else:
                links.append(_("acting for {party}", party=name))
        return ", ".join(links)
    if entry.rule.obligated.startswith("@"):
        label = default_phrasebook().field(entry.rule.obligated[1:])
        return _("when the event names it as {field}", field=label.vi if vi else label.en)
    return _("named in the rule")
