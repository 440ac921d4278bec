"""``quyche test PATH...``: run jurists' scenario files, like ``openfisca test`` or ``opa test``.

One line per scenario (PASS / FAIL / ERROR) with the differences under a failure, a summary,
and a coverage table: for every clause an event can trigger, how many scenarios expect it to
fire and how many say it must not. Exit status: 0 when every scenario passes, 1 when one
fails (or, with ``--require-coverage``, when a clause lacks a positive or a negative
scenario), 2 on a malformed scenario file (one line naming file, scenario and field).
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from quyche_rules.cli.common import fail
from quyche_rules.errors import QuycheError

test_app = typer.Typer(add_completion=False)


@test_app.command("test")
def test_command(
    paths: Annotated[
        list[str], typer.Argument(help="scenario files, or directories of *.yaml files")
    ],
    backend: Annotated[str, typer.Option(help="auto | durable | python")] = "auto",
    show_coverage: Annotated[
        bool, typer.Option("--coverage/--no-coverage", help="print the clause coverage table")
    ] = True,
    require_coverage: Annotated[
        bool,
        typer.Option(help="exit 1 when a triggered clause lacks a positive or negative scenario"),
    ] = False,
) -> None:
    """Run scenario files against the rulebook: pass/fail per scenario, summary, coverage."""
    from quyche_rules.cli.common import engine_for  # --rules-dir, --profile
    from quyche_rules.scenarios.scenario import coverage, load_scenarios, run_scenarios

    engine = engine_for(backend)
    try:
        scenarios = load_scenarios(paths, engine.rulebook)
    except QuycheError as exc:
        fail(str(exc))
    out = Console(soft_wrap=False, width=None if sys.stdout.isatty() else 140, highlight=False)
    outcomes = run_scenarios(engine, scenarios)
    for o in outcomes:
        status = "PASS " if o.passed else ("ERROR" if o.error else "FAIL ")
        colour = "green" if o.passed else "red"
        out.print(f"[{colour}]{status}[/{colour}] {o.scenario.file}  {o.scenario.id}", markup=True)
        if not o.passed:
            out.print(
                f"        {o.scenario.model.story.vi}", markup=False, style="dim", soft_wrap=True
            )
        if o.error:
            out.print(f"        {o.error}", markup=False, soft_wrap=True)
        for p in o.problems:
            out.print(f"        {p}", markup=False, soft_wrap=True)
    failed = sum(not o.passed for o in outcomes)
    passed = len(outcomes) - failed
    backend_name = type(engine.backend).__name__.removesuffix("Backend").lower()
    out.print(f"{passed} passed, {failed} failed ({len(outcomes)} scenarios, {backend_name})")

    rows = coverage(engine.rulebook, scenarios)
    gaps = [r for r in rows if not r.complete]
    if show_coverage:
        table = Table(title="Coverage of triggered clauses", title_justify="left")
        for col in ("Căn cứ", "clause", "rules", "positive", "negative", "rules never fired"):
            table.add_column(col, overflow="fold")
        for r in rows:
            mark = "" if r.complete else "[red]"
            table.add_row(
                str(r.basis),
                r.clause,
                str(len(r.rules)),
                f"{mark}{r.positive}",
                f"{mark}{r.negative}",
                ", ".join(r.unexercised_rules),
            )
        out.print(table)
        done = len(rows) - len(gaps)
        out.print(f"{done}/{len(rows)} triggered clauses have a positive and a negative scenario")
        for r in gaps:
            lacks = " and ".join(
                w for w, n in (("positive", r.positive), ("negative", r.negative)) if n == 0
            )
            out.print(f"  lacks {lacks}: {r.clause}")
    if failed or (require_coverage and gaps):
        raise typer.Exit(1)
