"""The delivery commands end to end, as a clerk or an operator runs them: subscribe, record,
deliver once to a local receiver, status, feeds; a reminder across Tết arrives through the
worker; bad input is one line naming the option."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from quyche_rules.cli.main import main
from quyche_rules.delivery import messages as m
from quyche_rules.delivery.outbox import attach
from quyche_rules.delivery.subscriptions import subscribe
from quyche_rules.delivery.worker import VIETNAM, Worker
from quyche_rules.tracker import Tracker

from ..tracker.events import REQUESTED, request
from .receiver import Receiver, dump


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as ex:
        main(list(argv))
    out = capsys.readouterr()
    return int(ex.value.code or 0), out.out, out.err


def test_subscribe_record_deliver_status(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], receiver: Receiver
) -> None:
    db = str(tmp_path / "cli.db")
    code, secret, err = run(capsys, "deliver", "subscribe", "--party", "Ban Nội chính Tỉnh ủy",
                            "--url", f"{receiver.url}/r", "--db", db)  # fmt: skip
    assert code == 0 and secret.strip().startswith("whsec_") and "shown once" in err
    receiver.secrets["/r"] = secret.strip()
    receiver.start()
    ev = tmp_path / "ev.json"
    ev.write_text(json.dumps(request("5/CV", "2026-01-05")), encoding="utf-8")
    code, _, err = run(capsys, "track", "record", str(ev), "--db", db)
    assert code == 0, err
    # one pass: the new obligation, and (swept as of today, long after 13/01/2026) the
    # consent by silence of Art. 3.1
    code, out, _ = run(capsys, "deliver", "--once", "--db", db)
    assert code == 0 and json.loads(out) == {"sent": 2, "retried": 0, "dead": 0, "swept": 1}
    assert receiver.check({mid for mid, _ in receiver.arrived})["received"] == 2
    assert {p["type"] for _, p in receiver.arrived} == {m.NEW_OBLIGATION, m.CONSENT}
    assert {p["party"] for _, p in receiver.arrived} == {REQUESTED}
    code, out, _ = run(capsys, "deliver", "status", "--json", "--db", db)
    assert json.loads(out)["counts"] == {"pending": 0, "delivered": 2, "dead": 0}
    code, out, _ = run(capsys, "deliver", "subscriptions", "--db", db)
    assert "whsec_" not in out and json.loads(out)["party"] == REQUESTED
    code, token, _ = run(capsys, "deliver", "feeds", "create", "--party", REQUESTED, "--db", db)
    assert code == 0 and token.startswith("qcf_")
    code, out, _ = run(capsys, "deliver", "feeds", "list", "--db", db)
    assert token.strip() not in out and json.loads(out)["party"] == REQUESTED


@pytest.mark.parametrize(
    ("argv", "line"),
    [
        (["deliver", "subscribe", "--party", "nobody", "--url", "http://x/"],
         "error: --party: unknown party 'nobody'"),
        (["deliver", "subscribe", "--party", REQUESTED, "--url", "ftp://x/"],
         "error: url: not an http(s) URL: 'ftp://x/'"),
        (["decisions", "export", "--from", "05/01/2026"],
         "error: --from: '05/01/2026' is not an ISO date"),
        (["deliver", "unsubscribe", "sub_nope"], "error: SUB_ID: no active subscription"),
    ],
)  # fmt: skip
def test_bad_input_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], line: str
) -> None:
    code, _, err = run(capsys, *argv, "--db", str(tmp_path / "bad.db"))
    assert code == 2 and err.startswith(line) and err.count("\n") == 1, err


def test_a_reminder_arrives_n_working_days_before_across_tet(
    tmp_path: Path, py_engine: Any, receiver: Receiver
) -> None:
    """The worker, its clock at 08:00 in Vietnam each day from 05/02/2026: the reminder
    (N = 2) of a request due 23/02/2026 arrives on 12/02, the second working day before
    the due date — Tết (14-22/02) does not count."""
    t = attach(Tracker(str(tmp_path / "tet.db"), engine=py_engine))
    sub = subscribe(t.store.engine, party=REQUESTED, url=f"{receiver.url}/r", kinds=[m.REMINDER])
    receiver.secrets["/r"] = sub.secret
    receiver.start()
    t.record(request("13/CV", "2026-02-05"))
    today = [dt.datetime(2026, 2, 5, 8, tzinfo=VIETNAM)]
    # the receiver checks signature timestamps against its own clock: sign with the real one
    w = Worker(t.store, clock=lambda: dt.datetime.now(dt.UTC), timeout=2)
    w.sweep = lambda: _sweep_on(w, today[0])  # type: ignore[method-assign]
    arrived: dict[str, dt.date] = {}
    while today[0].date() <= dt.date(2026, 2, 23):
        w.run_once()
        for mid, _payload in receiver.arrived:
            arrived.setdefault(mid, today[0].date())
        today[0] += dt.timedelta(days=1)
    assert list(arrived.values()) == [dt.date(2026, 2, 12)]
    dump("reminder across Tết", {"arrived_on": "12/02/2026", "due": "23/02/2026", "n": 2})
    w.close()
    t.close()


def _sweep_on(w: Worker, when: dt.datetime) -> int:
    from quyche_rules.delivery.outbox import sweep

    return sweep(w.store, w.calendar, when.date(), when, w.name_of)
