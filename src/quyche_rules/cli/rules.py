"""``quyche rules``: the rulebook as jurists read it (coverage of the text, one rule)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from quyche_rules.cli.common import IndentOpt, dump, fail, out, rulebook

JsonOpt = Annotated[
    bool, typer.Option("--json", help="JSON, the same shape as the HTTP service's answer")
]

rules_app = typer.Typer(no_args_is_help=True, help="Inspect the rulebook.")


@rules_app.command("coverage")
def rules_coverage(as_json: JsonOpt = False, indent: IndentOpt = None) -> None:
    """Every unit of the text, and the rules (or the reason for none) that encode it.
    Exits 1 when a unit is not accounted for. ``--json``: as ``GET /v1/coverage``."""
    book = rulebook(require_complete=False)
    if as_json:
        from quyche_rules.service.routers.lookup import coverage_out

        report = coverage_out(book)
        dump(report.model_dump(mode="json"), indent)
        if report.not_accounted_for:
            raise typer.Exit(1)
        return
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
def rules_show(rule_id: str, as_json: JsonOpt = False, indent: IndentOpt = None) -> None:
    """One rule with its quote, trigger and parties. ``--json``: as ``GET /v1/rules/{id}``."""
    book = rulebook()
    rule = book.rules.get(rule_id)
    if rule is None:
        fail(f"rule: unknown rule id {rule_id!r}")
    if as_json:
        from quyche_rules.service.routers.lookup import rule_out

        dump(rule_out(rule).model_dump(mode="json"), indent)
        return
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
