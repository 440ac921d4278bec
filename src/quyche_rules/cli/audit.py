"""``quyche audit verify``: recompute the hash chain of the decision log.

Exit 0 and the head hash when every link holds (keep the head hash elsewhere: it is what
shows a rewrite of the whole chain); exit 1 and one line naming the first link or
decision that was changed, removed, reordered or written around the chain.
"""

from __future__ import annotations

import typer

from quyche_rules.cli.deliver import DbOption, tracker_store

audit_app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__)


@audit_app.command("verify")
def verify(db: DbOption = None) -> None:
    """Check every link of the decision log's chain."""
    from quyche_rules.delivery.audit import verify as do_verify

    v = do_verify(tracker_store(db).engine)
    if v.ok:
        typer.echo(f"chuỗi nguyên vẹn / chain intact: {v.links} links, head {v.head}")
        return
    typer.echo(f"chuỗi bị sửa / chain broken: {v.problem}", err=True)
    raise typer.Exit(1)
