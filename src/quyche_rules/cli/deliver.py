"""``quyche deliver``: send the outbox to the bodies' webhooks, and manage subscriptions.

``quyche deliver`` runs the worker until interrupted (``--once``: one pass, then exit 0);
``status`` counts messages and lists dead letters, ``redrive`` queues dead ones again,
``subscribe`` / ``subscriptions`` / ``unsubscribe`` manage a body's endpoints. The database
is ``--db``, else ``$QUYCHE_DB``, else the shared default (the same as ``quyche track``).
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from typing import TYPE_CHECKING, Annotated, Any

import typer

from quyche_rules.cli.common import fail
from quyche_rules.errors import QuycheError

if TYPE_CHECKING:
    from quyche_rules.tracker.store import Store

deliver_app = typer.Typer(add_completion=False, help=__doc__)

DbOption = Annotated[
    str | None,
    typer.Option("--db", help="SQLite file or postgresql:// URL (default: $QUYCHE_DB)"),
]


def tracker_store(db: str | None) -> Store:
    """The tracker's store on the shared database (migrated), or one line naming ``--db``."""
    from sqlalchemy.exc import SQLAlchemyError

    from quyche_rules.tracker.store import Store

    try:
        return Store(db)
    except QuycheError as exc:
        fail(f"--db: {exc}")
    except SQLAlchemyError as exc:
        fail(f"--db: cannot open the database: {str(getattr(exc, 'orig', exc)).splitlines()[0]}")


def name_of() -> Any:
    """Party id → Vietnamese name, from the shipped registry (an id it does not know is
    shown as is: a profile's body in a message text)."""
    from quyche_rules.model.parties import default_registry

    reg = default_registry()

    def name(pid: str) -> str:
        try:
            return reg.resolve(pid).name_vi
        except KeyError:
            return pid

    return name


def party_id(party: str) -> str:
    from quyche_rules.model.parties import default_registry

    try:
        return default_registry().resolve(party).id
    except KeyError:
        fail(f"--party: unknown party {party!r} (see rules/parties.yaml)")


def make_worker(db: str | None, *, timeout: float, dead_after_hours: float) -> Any:
    """The worker, with SMTP settings from ``$QUYCHE_SMTP_*`` (none: e-mail endpoints
    wait, retried); a bad setting is one line naming the variable."""
    from quyche_rules.cli.common import engine_for  # --rules-dir, --profile
    from quyche_rules.delivery.mail import SmtpSettings
    from quyche_rules.delivery.queue import Backoff
    from quyche_rules.delivery.worker import Worker
    from quyche_rules.tracker import Tracker

    if timeout <= 0 or dead_after_hours <= 0:
        fail("--timeout and --dead-after-hours: must be positive")
    try:
        smtp = SmtpSettings.from_env()
    except QuycheError as exc:
        fail(str(exc))
    store = tracker_store(db)
    # the sweep folds the cases as the tracker reads them (a provisional due date counted
    # again on the calendar of --rules-dir): the tracker's engine, on the same store
    tracker = Tracker(store.engine, engine=engine_for("python"))
    return Worker(
        tracker.store,
        calendar=tracker.engine.calendar,
        refresh=tracker.refresh,
        timeout=timeout,
        backoff=Backoff(dead_after=dt.timedelta(hours=dead_after_hours)),
        name_of=name_of(),
        smtp=smtp,
    )


def start_in_thread(db: str | None) -> threading.Event:
    """Run the worker in a daemon thread (``quyche serve --deliver``); set the returned
    event to stop it. Several service instances on one PostgreSQL may all do this: their
    workers never send the same message at once (see ``delivery.outbox``)."""
    worker = make_worker(db, timeout=10.0, dead_after_hours=72.0)
    stop = threading.Event()
    threading.Thread(target=worker.run, args=(stop,), name="quyche-deliver", daemon=True).start()
    return stop


@deliver_app.callback(invoke_without_command=True)
def deliver(
    ctx: typer.Context,
    once: Annotated[
        bool, typer.Option("--once", help="one pass (sweep + send), then exit")
    ] = False,
    db: DbOption = None,
    timeout: Annotated[float, typer.Option(help="seconds to wait for a receiver")] = 10.0,
    dead_after_hours: Annotated[
        float, typer.Option(help="give a message up (dead letter) after this many hours")
    ] = 72.0,
    poll: Annotated[float, typer.Option(help="seconds between passes")] = 2.0,
) -> None:
    """Deliver queued messages: sign, POST, retry with back-off, dead-letter."""
    if ctx.invoked_subcommand is not None:
        return
    worker = make_worker(db, timeout=timeout, dead_after_hours=dead_after_hours)
    try:
        if once:
            stats = worker.run_once()
            typer.echo(json.dumps(stats.as_dict()))
            return
        stop = threading.Event()
        try:
            worker.run(stop, poll=poll)
        except KeyboardInterrupt:
            stop.set()
    finally:
        worker.close()


@deliver_app.command("status")
def status(
    db: DbOption = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    limit: Annotated[int, typer.Option(min=1, help="dead letters listed at most")] = 50,
) -> None:
    """Messages by state (pending, delivered, dead) and the dead letters."""
    from quyche_rules.delivery.outbox import DEAD
    from quyche_rules.delivery.queue import counts, listing

    store = tracker_store(db)
    got: dict[str, Any] = {
        "counts": counts(store.engine),
        "dead": listing(store.engine, status=DEAD, limit=limit),
    }
    if as_json:
        typer.echo(json.dumps(got, ensure_ascii=False, indent=2))
        return
    c = got["counts"]
    typer.echo(f"chờ gửi / pending {c['pending']}  đã gửi / delivered {c['delivered']}  "
               f"bỏ / dead {c['dead']}")  # fmt: skip
    for d in got["dead"]:
        typer.echo(f"{d['message_id']}  {d['party']}  {d['kind']}  {d['last_error'] or ''}")


@deliver_app.command("redrive")
def redrive(
    message_ids: Annotated[
        list[str] | None, typer.Argument(help="dead messages to send again (default: all)")
    ] = None,
    db: DbOption = None,
) -> None:
    """Queue dead letters again (their give-up clock restarts)."""
    from quyche_rules.delivery.queue import redrive as do_redrive

    n = do_redrive(tracker_store(db).engine, dt.datetime.now(dt.UTC), message_ids or None)
    typer.echo(f"re-queued {n}")


@deliver_app.command("subscribe")
def subscribe(
    party: Annotated[str, typer.Option(help="the body (id or name) the endpoint listens for")],
    url: Annotated[str, typer.Option(help="the endpoint: http(s)://... or mailto:address")],
    kind: Annotated[
        list[str] | None, typer.Option("--kind", help="a kind of message (default: all)")
    ] = None,
    remind_days: Annotated[int, typer.Option(help="working days before a due date")] = 2,
    db: DbOption = None,
) -> None:
    """Subscribe an endpoint; prints its signing secret ONCE."""
    from quyche_rules.delivery.subscriptions import subscribe as do_subscribe

    store = tracker_store(db)
    try:
        sub = do_subscribe(store.engine, party=party_id(party), url=url, kinds=kind,
                           remind_days=remind_days)  # fmt: skip
    except QuycheError as exc:
        fail(str(exc))
    typer.echo(sub.secret)
    typer.echo(f"subscription {sub.sub_id} for {sub.party}; secret shown once", err=True)


@deliver_app.command("subscriptions")
def subscriptions(
    party: Annotated[str | None, typer.Option(help="only this body's")] = None,
    db: DbOption = None,
) -> None:
    """Every subscription as JSON lines (never the secret)."""
    from quyche_rules.delivery.subscriptions import list_subscriptions

    pid = party_id(party) if party else None
    for s in list_subscriptions(tracker_store(db).engine, pid):
        typer.echo(json.dumps(s.public(), ensure_ascii=False))


@deliver_app.command("unsubscribe")
def unsubscribe(
    sub_id: Annotated[str, typer.Argument(help="the subscription id (sub_...)")],
    db: DbOption = None,
) -> None:
    """Revoke a subscription: nothing more is queued for it."""
    from quyche_rules.delivery.subscriptions import unsubscribe as do_unsubscribe

    if not do_unsubscribe(tracker_store(db).engine, sub_id):
        fail(f"SUB_ID: no active subscription {sub_id!r}")
    typer.echo(f"revoked {sub_id}")


feeds_app = typer.Typer(no_args_is_help=True, help="Calendar feed tokens (stored hashed).")
deliver_app.add_typer(feeds_app, name="feeds")


@feeds_app.command("create")
def feeds_create(
    party: Annotated[str, typer.Option(help="the body whose calendar the token opens")],
    label: Annotated[str | None, typer.Option(help="a note for people: who holds it")] = None,
    db: DbOption = None,
) -> None:
    """Make a feed token and print it ONCE (only its hash is stored); the clerk subscribes
    to ``/v1/calendar/<body>.ics?token=<token>``."""
    from quyche_rules.delivery.feeds import create_token

    pid = party_id(party)
    token, rec = create_token(tracker_store(db).engine, pid, label)
    typer.echo(token)
    typer.echo(f"feed token {rec.token_id} for {pid}: /v1/calendar/{pid}.ics?token=…; "
               "shown once", err=True)  # fmt: skip


@feeds_app.command("list")
def feeds_list(db: DbOption = None) -> None:
    """Every feed token as JSON lines (never the token)."""
    from quyche_rules.delivery.feeds import list_tokens

    for t in list_tokens(tracker_store(db).engine):
        typer.echo(json.dumps(t.public(), ensure_ascii=False))


@feeds_app.command("revoke")
def feeds_revoke(
    token_id: Annotated[str, typer.Argument(help="the token id (see feeds list)")],
    db: DbOption = None,
) -> None:
    """Revoke a feed token: the calendar URL answers 404 from now on."""
    from quyche_rules.delivery.feeds import revoke_token

    if not revoke_token(tracker_store(db).engine, token_id):
        fail(f"TOKEN_ID: no active feed token {token_id!r}")
    typer.echo(f"revoked {token_id}")
