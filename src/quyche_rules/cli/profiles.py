"""``quyche profiles``: the deployment profiles shipped in the package, by name.

A name printed here is what ``--profile``, ``QUYCHE_PROFILE`` and ``Engine(profile=...)``
accept, from any directory and from an installed wheel; a path to another file still works.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from quyche_rules.cli.common import IndentOpt, dump, fail, out
from quyche_rules.errors import QuycheError

profiles_app = typer.Typer(no_args_is_help=True, help="Hồ sơ triển khai / deployment profiles.")


@profiles_app.command("list")
def profiles_list(
    json_out: Annotated[bool, typer.Option("--json", help="JSON array instead of a table")] = False,
    indent: IndentOpt = None,
) -> None:
    """Every packaged profile: name, province, regulation, number of bodies, signing date."""
    from quyche_rules.io.resources import packaged_profiles
    from quyche_rules.model.profiles import load_profile

    rows: list[dict[str, Any]] = []
    try:
        for name in packaged_profiles():
            p = load_profile(name)
            rows.append(
                {
                    "name": name,
                    "province": p.province,
                    "regulation": p.regulation.number,
                    "signed_on": p.regulation.signed_on.isoformat(),
                    "bodies": len(p.body_ids),
                    "sha256": p.sha256,
                }
            )
    except QuycheError as exc:
        fail(str(exc))
    if json_out:
        dump(rows, indent=indent)
        return
    table = Table("tên / name", "tỉnh / province", "quy chế / regulation", "ký ngày / signed",
                  "cơ quan / bodies")  # fmt: skip
    for r in rows:
        signed = r["signed_on"]
        table.add_row(
            r["name"],
            escape(str(r["province"])),
            escape(str(r["regulation"] or "(chưa có số / no number)")),
            f"{signed[8:10]}/{signed[5:7]}/{signed[:4]}",  # dd/mm/yyyy for people
            str(r["bodies"]),
        )
    out.print(table)
