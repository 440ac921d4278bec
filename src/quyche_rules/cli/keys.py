"""``quyche keys``: create, list and revoke the HTTP service's API keys (stored hashed; the
key itself is printed once, at creation).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from quyche_rules.cli.common import fail
from quyche_rules.cli.serve import DbOption, ProfileOption, profile_path, store_for
from quyche_rules.errors import QuycheError

keys_app = typer.Typer(no_args_is_help=True, help="API keys of the HTTP service.")


@keys_app.command("create")
def keys_create(
    party: Annotated[str | None, typer.Option(help="the body the key acts as (id or name)")] = None,
    admin: Annotated[bool, typer.Option("--admin", help="an administrator's key")] = False,
    label: Annotated[str | None, typer.Option(help="a note for people: who holds it")] = None,
    db: DbOption = None,
    profile: ProfileOption = None,
) -> None:
    """Make a key and print it ONCE (only its hash is stored). With a profile, the key is
    bound to it (a service serving several provinces answers it under that one) and may be
    bound to one of its concrete bodies (e.g. "Sở Y tế")."""
    from quyche_rules.model.parties import default_registry
    from quyche_rules.model.profiles import load_profile
    from quyche_rules.service.auth import new_key

    if admin == (party is not None):
        fail("keys create: give exactly one of --party P or --admin")
    party_id = None
    path = profile_path(profile)
    try:
        loaded = load_profile(path) if path else None
    except QuycheError as exc:
        fail(f"--profile: {exc}")
    bound = None if loaded is None else Path(loaded.file).stem  # how services name it
    if party is not None:
        registry = loaded.registry if loaded is not None else default_registry()
        try:
            party_id = registry.resolve(party).id
        except KeyError:
            where = "the profile" if path else "rules/parties.yaml"
            fail(f"--party: unknown party {party!r} (see {where})")
    store = store_for(db)
    key, rec = new_key(store, party=party_id, admin=admin, label=label, profile=bound)
    typer.echo(key)
    who = "administrator" if admin else party_id
    where = f" of profile {bound}" if bound else ""
    typer.echo(f"key id {rec.key_id} for {who}{where}; shown once, store it now", err=True)


@keys_app.command("revoke")
def keys_revoke(
    key_id: Annotated[str, typer.Argument(help="the key id (8 hex digits, see keys list)")],
    db: DbOption = None,
) -> None:
    """Revoke a key: from now on it gets 401."""
    import datetime as dt

    store = store_for(db)
    if not store.revoke_key(key_id, dt.datetime.now(dt.UTC)):
        fail(f"KEY_ID: no active key {key_id!r}")
    typer.echo(f"revoked {key_id}")


@keys_app.command("list")
def keys_list(
    db: DbOption = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Every key: id, body or admin, label, created, revoked (never the key)."""
    store = store_for(db)
    rows = [
        {
            "key_id": k.key_id,
            "party": k.party,
            "admin": k.admin,
            "label": k.label,
            "profile": k.profile,
            "created_at": k.created_at.isoformat(timespec="seconds"),
            "revoked_at": k.revoked_at.isoformat(timespec="seconds") if k.revoked_at else None,
        }
        for k in store.list_keys()
    ]
    if as_json:  # the shape of ``quyche schema output keys-list`` (``KeyOut``)
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for r in rows:
        state = f"revoked {r['revoked_at']}" if r["revoked_at"] else "active"
        who = "admin" if r["admin"] else r["party"]
        typer.echo(f"{r['key_id']}  {who}  {state}  {r['label'] or ''}".rstrip())
