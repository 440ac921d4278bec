"""``quyche rules``: the rulebook as jurists read it (coverage of the text, one rule)."""

from __future__ import annotations

import typer
from rich.markup import escape

from quyche_rules.cli.common import fail, out, rulebook

rules_app = typer.Typer(no_args_is_help=True, help="Inspect the rulebook.")


@rules_app.command("coverage")
def rules_coverage() -> None:
    """Every unit of the text, and the rules (or the reason for none) that encode it."""
    book = rulebook(require_complete=False)
    missing = 0
    for article in sorted(book.regulation.titles):
        out.print(f"[bold]Điều {article}. {escape(book.regulation.titles[article])}[/bold]")
        for basis in [b for b in book.regulation.units if b.article == article]:
            rules = book.rules_for(basis)
            na = book.non_actionable.get(basis)
            if rules:
                status = ", ".join(r.id for r in rules)
            elif na is not None:
                status = f"[dim]không áp dụng: {escape(na.reason)}[/dim]"
            else:
                status, missing = "[red]CHƯA MÃ HÓA[/red]", missing + 1
            out.print(f"  {basis}: {status}")
    out.print(f"{len(book.rules)} rules; {missing} unit(s) not accounted for")
    if missing:
        raise typer.Exit(1)


@rules_app.command("show")
def rules_show(rule_id: str) -> None:
    """One rule with its quote, trigger and parties."""
    book = rulebook()
    rule = book.rules.get(rule_id)
    if rule is None:
        fail(f"rule: unknown rule id {rule_id!r}")
    out.print(f"[bold]{rule.id}[/bold]  ({rule.basis}, {escape(rule.file)})")
    out.print(f"„{escape(rule.quote)}“")
    out.print(f"obligated: {rule.obligated}; counterparties: {', '.join(rule.counterparties)}")
    out.print(f"duty: {rule.duty.value}; form: {rule.form.value}")
    for label in rule.trigger_labels():
        out.print(f"trigger: {escape(label)}")
    if rule.deadline is not None:
        out.print(f"deadline: {rule.deadline.id} ({rule.deadline.working_days} working days)")
    out.print(f"summary: {escape(rule.summary_en)}")
    if rule.note:
        out.print(f"note: {escape(rule.note)}")
