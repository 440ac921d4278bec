"""``quyche serve``: run the HTTP service.

The database is ``--db URL|PATH``, else ``QUYCHE_DB``, else the one default shared with
``quyche track``: ``tracker.db`` in the per-user data directory
(``~/.local/share/quyche-rules/`` on Linux). The tracker's log, the keys and the decision
log live in it. ``--profile FILE`` (else ``QUYCHE_PROFILE``) serves a deployment profile;
repeated, or with ``--profiles-dir``, several provinces at once (docs/scaling.md).
"""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING, Annotated

import typer

from quyche_rules.cli.common import RETRYABLE, fail
from quyche_rules.errors import QuycheError

if TYPE_CHECKING:
    from quyche_rules.service.settings import Settings
    from quyche_rules.service.store import Store

serve_app = typer.Typer(add_completion=False, help="Run the HTTP service.")


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


def profile_path(profile: str | None) -> str | None:
    from quyche_rules.model.profiles import PROFILE_ENV

    return profile or os.environ.get(PROFILE_ENV, "").strip() or None


def store_for(db: str | None) -> Store:
    from quyche_rules.service.store import Store

    try:
        store = Store(_db_url(db))
        store.create_tables()
    except QuycheError as exc:
        fail(f"--db: {exc}", retry=exc.code in RETRYABLE)
    return store


@serve_app.callback(invoke_without_command=True)
def serve(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="worker processes")] = 1,
    db: DbOption = None,
    max_body_bytes: Annotated[int, typer.Option(min=0, help="largest request body")] = 256 * 1024,
    rate_per_minute: Annotated[
        int,
        typer.Option(
            min=0, help="requests per minute per key (0: no limit; per worker with memory buckets)"
        ),
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
    profile: Annotated[
        list[str] | None,
        typer.Option(
            "--profile",
            help="deployment profile file or packaged name (default: $QUYCHE_PROFILE); "
            "repeat it to serve several provinces, each key under its own",
        ),
    ] = None,
    profiles_dir: Annotated[
        str | None,
        typer.Option(help="also serve every *.yaml profile of this directory"),
    ] = None,
    key_cache_seconds: Annotated[
        float,
        typer.Option(
            min=0,
            max=3600,
            help="seconds a worker keeps a key it read: a revocation is refused everywhere "
            "within this time (0: read the key on every request)",
        ),
    ] = 2.0,
    rate_store: Annotated[
        str,
        typer.Option(
            help="where per-key rate buckets are counted: database (shared by every worker "
            "and instance), memory (per worker), auto (database on PostgreSQL)"
        ),
    ] = "auto",
    deliver: Annotated[
        bool, typer.Option("--deliver", help="also run the delivery worker (quyche deliver)")
    ] = False,
    header_timeout: Annotated[
        float, typer.Option(min=0.1, help="seconds a client has to send a request's head")
    ] = 10.0,
    body_timeout: Annotated[
        float, typer.Option(min=0.1, help="seconds a client has to send a request's body")
    ] = 30.0,
    keep_alive_timeout: Annotated[
        int, typer.Option(min=1, help="seconds an idle kept-alive connection stays open")
    ] = 5,
    limit_concurrency: Annotated[
        int,
        typer.Option(min=1, help="connections and requests at once per worker; more get 503"),
    ] = 200,
    max_header_bytes: Annotated[
        int, typer.Option(min=1024, help="largest request head (request line and headers)")
    ] = 16 * 1024,
    min_free_disk_mb: Annotated[
        int, typer.Option(min=0, help="/readyz fails below this free disk (SQLite)")
    ] = 64,
    decisions_per_day: Annotated[
        int,
        typer.Option(min=0, help="decisions one key may store per day (Vietnam); 0: no quota"),
    ] = 20_000,
    store_full_input: Annotated[
        bool,
        typer.Option(
            "--store-full-input",
            help="log each decision's whole input (free text too), not only what rules read",
        ),
    ] = False,
    fast_path: Annotated[
        bool,
        typer.Option(
            "--fast-path/--no-fast-path",
            help="answer the common POST /v1/notify below FastAPI (the same answer, less "
            "CPU); --no-fast-path sends every request through the full stack",
        ),
    ] = True,
    allow_insecure_permissions: Annotated[
        bool,
        typer.Option(
            "--allow-insecure-permissions",
            help="start even if the SQLite file is readable by other users (chmod 600 it)",
        ),
    ] = False,
) -> None:
    """Serve the JSON API (``/v1/...``, ``/openapi.json``, ``/docs``, ``/healthz``).

    Slow clients are bounded (docs/security.md): a request's head must arrive within
    ``--header-timeout``, its body within ``--body-timeout``; an idle connection closes
    after ``--keep-alive-timeout``; past ``--limit-concurrency`` a worker answers 503."""

    from quyche_rules.service.settings import Settings

    if backend not in ("auto", "durable", "python"):
        fail("--backend: must be one of auto, durable, python")
    if rate_store not in ("auto", "memory", "database"):
        fail("--rate-store: must be one of auto, memory, database")
    given = list(profile or [])
    settings = Settings(
        db_url=_db_url(db),
        max_body_bytes=max_body_bytes,
        rate_per_minute=rate_per_minute,
        rate_burst=rate_burst,
        backend=backend,  # type: ignore[arg-type]
        sqlite_sync=sqlite_sync,
        profile=profile_path(given[0] if given else None),
        profiles=tuple(given[1:]),
        profiles_dir=profiles_dir,
        key_cache_seconds=key_cache_seconds,
        rate_store=rate_store,  # type: ignore[arg-type]
        min_free_disk_mb=min_free_disk_mb,
        decisions_per_day=decisions_per_day,
        store_full_input=store_full_input,
        fast_path=fast_path,
    )
    if sqlite_sync not in ("full", "normal"):
        fail("--sqlite-sync: must be full or normal")
    _refuse_insecure(settings.db_url, allow_insecure_permissions)
    # whatever this process creates (the database, its -wal and -shm, a new data
    # directory) is its owner's alone, whatever umask the caller left; put back if the
    # command fails before serving (it may run inside another program: tests)
    old_umask = os.umask(0o077)
    try:
        _start(settings)
    except BaseException:
        os.umask(old_umask)
        raise
    if deliver:  # one worker thread in this process, whatever the number of HTTP workers
        from quyche_rules.cli.deliver import start_in_thread

        start_in_thread(settings.db_url)
    _run(host, port, workers, header_timeout, body_timeout, keep_alive_timeout,
         limit_concurrency, max_header_bytes)  # fmt: skip


def _start(settings: Settings) -> None:
    """Make the tables once, before workers race to, and build the app once here so a
    bad setting fails in one line rather than in every worker."""
    store_for(settings.db_url)
    os.environ.update(settings.to_env())
    try:
        from quyche_rules.service.app import app_from_env

        app_from_env()
    except QuycheError as exc:
        fail(str(exc))


def _run(
    host: str,
    port: int,
    workers: int,
    header_timeout: float,
    body_timeout: float,
    keep_alive_timeout: int,
    limit_concurrency: int,
    max_header_bytes: int,
) -> None:
    import uvicorn

    from quyche_rules.service.slowclients import (
        BODY_TIMEOUT_ENV,
        HEADER_TIMEOUT_ENV,
        TimedH11Protocol,
    )

    os.environ[HEADER_TIMEOUT_ENV] = str(header_timeout)
    os.environ[BODY_TIMEOUT_ENV] = str(body_timeout)
    # uvicorn's own access log would record client addresses: ours (JSON) does not
    uvicorn.run(
        "quyche_rules.service.app:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        access_log=False,
        log_config=_log_config(),
        http=TimedH11Protocol,
        timeout_keep_alive=keep_alive_timeout,
        limit_concurrency=limit_concurrency,
        h11_max_incomplete_event_size=max_header_bytes,
    )


def _refuse_insecure(db_url: str | None, allowed: bool) -> None:
    """Refuse to serve a SQLite database other users can read: it holds the decision log
    (which can name people) and the key hashes. ``--allow-insecure-permissions`` starts
    anyway (a file shared on purpose), with a warning."""
    from quyche_rules.db.connect import insecure_permissions, resolve_url

    try:
        why = insecure_permissions(resolve_url(db_url))
    except QuycheError:
        return  # a bad --db: the store's own one-line refusal follows

    if why is None:
        return
    if not allowed:
        fail(f"--db: {why}; chmod 600 it, or pass --allow-insecure-permissions")
    typer.echo(f"warning: --db: {why}", err=True)


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
