"""``quyche rules``: the rulebook as jurists read it (coverage of the text, one rule, the
exhaustive check and the diff of two rulebooks; their logic is in ``analysis/``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from quyche_rules.cli.common import (
    BACKENDS,
    IndentOpt,
    ProfileOpt,
    dump,
    engine_for,
    fail,
    out,
    profile_path,
    rulebook,
)
from quyche_rules.errors import QuycheError
from quyche_rules.i18n import _, language
from quyche_rules.model.vocabulary import DUTIES, FORMS
from quyche_rules.pages.phrases import default_phrasebook

JsonOpt = Annotated[
    bool, typer.Option("--json", help="JSON, the same shape as the HTTP service's answer")
]
BackendOpt = Annotated[str, typer.Option("--backend", help=f"one of {', '.join(BACKENDS)}")]

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
                reason = na.reason_vi if language() == "vi" else na.reason
                status = "[dim]" + escape(_("non-actionable: {reason}", reason=reason)) + "[/dim]"
            else:
                status, missing = f"[red]{escape(_('NOT ENCODED'))}[/red]", missing + 1
            out.print(f"  {basis}: {status}")
    out.print(
        _(
            "{rules} rules; {missing} unit(s) not accounted for",
            rules=len(book.rules),
            missing=missing,
        )
    )
    if missing:
        raise typer.Exit(1)


@rules_app.command("show")
def rules_show(rule_id: str, as_json: JsonOpt = False, indent: IndentOpt = None) -> None:
    """One rule with its quote, trigger and parties. ``--json``: as ``GET /v1/rules/{id}``."""
    book = rulebook()
    rule = book.rules.get(rule_id)
    if rule is None:
        fail(_("rule: unknown rule id {rule_id}", rule_id=repr(rule_id)))
    if as_json:
        from quyche_rules.service.routers.lookup import rule_out

        dump(rule_out(rule).model_dump(mode="json"), indent)
        return
    vi = language() == "vi"
    parties = engine_for("python").parties

    def name(ref: str) -> str:
        if ref.startswith("@"):
            label = default_phrasebook().field(ref[1:])
            return _("the body the event names as “{field}”", field=label.vi if vi else label.en)
        p = parties.parties[ref]
        return str(p.name_vi)  # official names, as the text writes them

    def line(label: str, text: str) -> None:
        out.print(f"[bold]{escape(label)}:[/bold] {escape(text)}", highlight=False)

    out.print(f"[bold]{rule.id}[/bold]  ({rule.basis}, {escape(rule.file)})", highlight=False)
    out.print(f"„{escape(rule.quote)}“", highlight=False)
    line(_("Who"), f"{name(rule.obligated)} ({rule.obligated})")
    line(_("Towards"), "; ".join(f"{name(c)} ({c})" for c in rule.counterparties))
    duty, form = DUTIES[rule.duty], FORMS[rule.form]
    line(_("Duty"), f"{duty[0] if vi else duty[1]} ({rule.duty.value})")
    line(_("Form"), f"{form[0] if vi else form[1]} ({rule.form.value})")
    for sentence in default_phrasebook().rule_sentences(rule, parties):
        line(_("When"), sentence.vi if vi else sentence.en)
    if rule.deadline is not None:
        days = rule.deadline.working_days
        text = _("{days} working days ({policy})", days=days, policy=rule.deadline.id)
        if rule.deadline.silence_means == "consent":
            text += "; " + _("no answer by the due date counts as consent")
        line(_("Deadline"), text)
    line(_("Summary"), rule.summary_vi if vi else rule.summary_en)
    if rule.note:
        line(_("Jurist's note"), (rule.note_vi or rule.note) if vi else rule.note)


@rules_app.command("check")
def rules_check(
    profile: ProfileOpt = None,
    json_out: JsonOpt = False,
    classes: Annotated[
        bool, typer.Option("--classes", help="list every class with its obligations")
    ] = False,
    backend: BackendOpt = "auto",
    indent: IndentOpt = None,
) -> None:
    """Every event class the rules tell apart: duplicates, conflicts, silent classes.
    Exits 1 on a duplicate, a conflict or a refused class."""
    from quyche_rules.analysis.check import check, to_json
    from quyche_rules.analysis.render import check_lines

    report = check(engine_for(backend, profile))
    if json_out:
        dump(to_json(report), indent)
    else:
        for line in check_lines(report, classes=classes):
            typer.echo(line)
    if not report.ok:
        raise typer.Exit(1)


@rules_app.command("diff")
def rules_diff(
    old_dir: Path,
    new_dir: Path,
    profile: ProfileOpt = None,
    json_out: JsonOpt = False,
    classes: Annotated[
        bool, typer.Option("--classes", help="also list every changed class on its own")
    ] = False,
    backend: BackendOpt = "auto",
    indent: IndentOpt = None,
) -> None:
    """What an edit changes: for every event class whose obligations change, what appears
    (+) and what disappears (-). Identical rulebooks give an empty diff."""
    from quyche_rules.analysis.diff import diff, to_json
    from quyche_rules.analysis.render import diff_lines
    from quyche_rules.engine.engine import Engine

    if backend not in BACKENDS:
        fail(f"--backend: must be one of {', '.join(BACKENDS)}")
    engines = []
    for d in (old_dir, new_dir):
        if not d.is_dir():
            fail(f"{d}: not a rules directory")
        try:
            engines.append(Engine(rules_dir=d, backend=backend, profile=profile_path(profile)))  # type: ignore[arg-type]
        except QuycheError as exc:
            fail(f"{d}: {exc}")
    report = diff(engines[0], engines[1])
    for e in engines:
        e.close()
    if json_out:
        dump(to_json(report), indent)
    else:
        for line in diff_lines(report, str(old_dir), str(new_dir), classes=classes):
            typer.echo(line)


@rules_app.command("schema")
def rules_schema(kind: Annotated[str, typer.Argument(help="check or diff")]) -> None:
    """JSON Schema of ``rules check --json`` or ``rules diff --json``."""
    from quyche_rules.analysis.schemas import check_schema, diff_schema

    schemas = {"check": check_schema, "diff": diff_schema}
    if kind not in schemas:
        fail(f"kind: must be check or diff, got {kind!r}")
    dump(schemas[kind](), indent=2)
