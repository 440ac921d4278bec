"""``quyche serve`` and ``quyche keys``: run the HTTP service and manage its API keys.

Kept out of ``cli.py`` (owned by the package) so that the service adds two lines there.
The database is ``--db URL|PATH``, else ``QUYCHE_DB``, else the one default shared with
``quyche track``: ``tracker.db`` in the per-user data directory
(``~/.local/share/quyche-rules/`` on Linux). The tracker's log, the keys and the decision
log live in it. ``--profile FILE`` (else ``QUYCHE_PROFILE``) serves a deployment profile.
"""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING, Annotated

import typer

from .cli_common import fail as _fail
from .errors import QuycheError

if TYPE_CHECKING:
    from .service.store import Store

serve_app = typer.Typer(add_completion=False, help="Run the HTTP service.")
keys_app = typer.Typer(no_args_is_help=True, help="API keys of the HTTP service.")

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="database URL or SQLite file (default: $QUYCHE_DB, else tracker.db in the "
        "per-user data directory, the same as `quyche track`)",
    ),
]
ProfileOption = Annotated[
    str | None,
    typer.Option("--profile", help="deployment profile file (default: $QUYCHE_PROFILE)"),
]


def _db_url(db: str | None) -> str | None:
    """``--db``, else ``$QUYCHE_DB``; None is the shared default (``tracker.store``)."""
    return db or os.environ.get("QUYCHE_DB") or None


def _profile_path(profile: str | None) -> str | None:
    from .profiles import PROFILE_ENV

    return profile or os.environ.get(PROFILE_ENV, "").strip() or None


def _store(db: str | None) -> Store:
    from .service.store import Store

    try:
        store = Store(_db_url(db))
        store.create_tables()
    except QuycheError as exc:
        _fail(f"--db: {exc}")
    return store


@serve_app.callback(invoke_without_command=True)
def serve(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="worker processes")] = 1,
    db: DbOption = None,
    max_body_bytes: Annotated[int, typer.Option(min=0, help="largest request body")] = 256 * 1024,
    rate_per_minute: Annotated[
        int, typer.Option(min=0, help="requests per minute per key and worker (0: no limit)")
    ] = 600,
    rate_burst: Annotated[int, typer.Option(min=1, help="requests at once per key")] = 100,
    backend: Annotated[str, typer.Option(help="auto | durable | python")] = "auto",
    sqlite_sync: Annotated[
        str,
        typer.Option(
            help="full: every decision fsynced (default); normal: faster, may lose "
            "the last decisions on a power cut"
        ),
    ] = "full",
    profile: ProfileOption = None,
) -> None:
    """Serve the JSON API (``/v1/...``, ``/openapi.json``, ``/docs``, ``/healthz``)."""
    import uvicorn

    from .service.settings import Settings

    if backend not in ("auto", "durable", "python"):
        _fail("--backend: must be one of auto, durable, python")
    settings = Settings(
        db_url=_db_url(db),
        max_body_bytes=max_body_bytes,
        rate_per_minute=rate_per_minute,
        rate_burst=rate_burst,
        backend=backend,  # type: ignore[arg-type]
        sqlite_sync=sqlite_sync,
        profile=_profile_path(profile),
    )
    if sqlite_sync not in ("full", "normal"):
        _fail("--sqlite-sync: must be full or normal")
    _store(settings.db_url)  # tables made once here, before workers race to make them
    os.environ.update(settings.to_env())
    try:
        from .service.app import app_from_env

        app_from_env()  # fail here, in one line, rather than in every worker
    except QuycheError as exc:
        _fail(str(exc))
    # uvicorn's own access log would record client addresses: ours (JSON) does not
    uvicorn.run(
        "quyche_rules.service.app:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        access_log=False,
        log_config=_log_config(),
    )


def _log_config() -> dict[str, object]:
    """uvicorn's logging, plus our JSON access log on stdout (one object per line)."""
    from uvicorn.config import LOGGING_CONFIG

    cfg = json.loads(json.dumps(LOGGING_CONFIG))
    cfg["formatters"]["json"] = {"format": "%(message)s"}
    cfg["handlers"]["quyche_access"] = {
        "class": "logging.StreamHandler",
        "formatter": "json",
        "stream": "ext://sys.stdout",
    }
    cfg["loggers"]["quyche.access"] = {
        "handlers": ["quyche_access"],
        "level": "INFO",
        "propagate": False,
    }
    return dict(cfg)


@keys_app.command("create")
def keys_create(
    party: Annotated[str | None, typer.Option(help="the body the key acts as (id or name)")] = None,
    admin: Annotated[bool, typer.Option("--admin", help="an administrator's key")] = False,
    label: Annotated[str | None, typer.Option(help="a note for people: who holds it")] = None,
    db: DbOption = None,
    profile: ProfileOption = None,
) -> None:
    """Make a key and print it ONCE (only its hash is stored). With a profile, the key
    may be bound to one of its concrete bodies (e.g. "Sở Y tế")."""
    from .parties import default_registry
    from .profiles import load_profile
    from .service.auth import new_key

    if admin == (party is not None):
        _fail("keys create: give exactly one of --party P or --admin")
    party_id = None
    if party is not None:
        path = _profile_path(profile)
        try:
            registry = load_profile(path).registry if path else default_registry()
        except QuycheError as exc:
            _fail(f"--profile: {exc}")
        try:
            party_id = registry.resolve(party).id
        except KeyError:
            where = "the profile" if path else "rules/parties.yaml"
            _fail(f"--party: unknown party {party!r} (see {where})")
    store = _store(db)
    key, rec = new_key(store, party=party_id, admin=admin, label=label)
    typer.echo(key)
    who = "administrator" if admin else party_id
    typer.echo(f"key id {rec.key_id} for {who}; shown once, store it now", err=True)


@keys_app.command("revoke")
def keys_revoke(
    key_id: Annotated[str, typer.Argument(help="the key id (8 hex digits, see keys list)")],
    db: DbOption = None,
) -> None:
    """Revoke a key: from now on it gets 401."""
    import datetime as dt

    store = _store(db)
    if not store.revoke_key(key_id, dt.datetime.now(dt.UTC)):
        _fail(f"KEY_ID: no active key {key_id!r}")
    typer.echo(f"revoked {key_id}")


@keys_app.command("list")
def keys_list(
    db: DbOption = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Every key: id, body or admin, label, created, revoked (never the key)."""
    store = _store(db)
    rows = [
        {
            "key_id": k.key_id,
            "party": k.party,
            "admin": k.admin,
            "label": k.label,
            "created_at": k.created_at.isoformat(timespec="seconds"),
            "revoked_at": k.revoked_at.isoformat(timespec="seconds") if k.revoked_at else None,
        }
        for k in store.list_keys()
    ]
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for r in rows:
        state = f"revoked {r['revoked_at']}" if r["revoked_at"] else "active"
        who = "admin" if r["admin"] else r["party"]
        typer.echo(f"{r['key_id']}  {who}  {state}  {r['label'] or ''}".rstrip())
