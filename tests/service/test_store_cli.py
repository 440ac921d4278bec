"""Keys stored hashed, tables made idempotently under the ``service_`` prefix, the decision
log append-only; ``quyche keys`` create / list / revoke, and bad input in one line."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from quyche_rules.cli.main import app as cli
from quyche_rules.db.delivery_tables import metadata as delivery_metadata
from quyche_rules.db.service_tables import metadata
from quyche_rules.errors import QuycheError
from quyche_rules.service.auth import authenticate, new_key
from quyche_rules.service.settings import Settings
from quyche_rules.service.store import Store
from quyche_rules.tracker import metadata as tracker_metadata

runner = CliRunner()


def test_keys_are_stored_hashed_and_tables_prefixed(tmp_path: Path) -> None:
    db = tmp_path / "k.db"
    store = Store(f"sqlite:///{db}")
    store.create_tables()
    store.create_tables()  # idempotent: a second start-up changes nothing
    key, rec = new_key(store, party="ban_to_chuc_tinh_uy", admin=False)
    assert rec.key_sha256 == hashlib.sha256(key.encode()).hexdigest()
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir())
    secret = key.split("_", 2)[2]
    assert secret.encode() not in raw, "the key itself is never written"
    tables = set(sa.inspect(store.engine).get_table_names())
    # one database, one chain of migrations: the service's tables beside the tracker's
    service = {t for t in tables if t.startswith("service_")}
    assert service == {t.name for t in metadata.sorted_tables}
    assert tables - service == {t.name for t in tracker_metadata.sorted_tables} | {
        t.name for t in delivery_metadata.sorted_tables
    } | {"tracker_alembic_version"}
    who = authenticate(store, key)
    assert who is not None and who.party == "ban_to_chuc_tinh_uy" and not who.admin
    assert authenticate(store, key[:-1] + ("a" if key[-1] != "a" else "b")) is None


@pytest.mark.parametrize("command", [["keys", "list"], ["serve"]])
def test_bad_database_url_is_one_line(command: list[str]) -> None:
    with pytest.raises(QuycheError, match="database URL"):
        Store("nonsense://")
    r = runner.invoke(cli, [*command, "--db", "nonsense://"])
    assert r.exit_code == 2 and r.stderr.startswith("error: --db: database URL")
    assert r.stderr.count("\n") == 1


def test_settings_from_env() -> None:
    s = Settings.from_env({"QUYCHE_DB": "sqlite:///x.db", "QUYCHE_RATE_PER_MINUTE": "5"})
    assert (s.db_url, s.rate_per_minute, s.rate_burst) == ("sqlite:///x.db", 5, 100)
    assert Settings.from_env(s.to_env()) == s
    with pytest.raises(QuycheError, match="QUYCHE_MAX_BODY_BYTES"):
        Settings.from_env({"QUYCHE_MAX_BODY_BYTES": "lots"})
    with pytest.raises(QuycheError, match="QUYCHE_BACKEND"):
        Settings.from_env({"QUYCHE_BACKEND": "fast"})


def test_keys_cli_create_list_revoke(tmp_path: Path) -> None:
    db = ["--db", f"sqlite:///{tmp_path / 'c.db'}"]
    r = runner.invoke(cli, ["keys", "create", "--party", "Ban Tổ chức Tỉnh ủy", *db])
    assert r.exit_code == 0, r.output
    key = r.stdout.strip()
    assert key.startswith("qk_") and len(key.splitlines()) == 1
    key_id = key.split("_")[1]
    assert f"key id {key_id} for ban_to_chuc_tinh_uy" in r.stderr
    r = runner.invoke(cli, ["keys", "create", "--admin", "--label", "ops", *db])
    assert r.exit_code == 0
    listed = json.loads(runner.invoke(cli, ["keys", "list", "--json", *db]).stdout)
    assert [(k["party"], k["admin"], k["label"]) for k in listed] == [
        ("ban_to_chuc_tinh_uy", False, None),
        (None, True, "ops"),
    ]
    assert key not in json.dumps(listed) and key.split("_", 2)[2] not in json.dumps(listed)
    store = Store(db[1])
    assert authenticate(store, key) is not None
    r = runner.invoke(cli, ["keys", "revoke", key_id, *db])
    assert r.exit_code == 0 and r.stdout.strip() == f"revoked {key_id}"
    assert authenticate(store, key) is None
    r = runner.invoke(cli, ["keys", "revoke", key_id, *db])
    assert r.exit_code == 2 and r.stderr == f"error: KEY_ID: no active key {key_id!r}\n"
    text = runner.invoke(cli, ["keys", "list", *db]).stdout
    assert f"{key_id}  ban_to_chuc_tinh_uy  revoked" in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["keys", "create"], "error: keys create: give exactly one of --party P or --admin\n"),
        (
            ["keys", "create", "--admin", "--party", "dang_uy_khoi"],
            "error: keys create: give exactly one of --party P or --admin\n",
        ),
        (
            ["keys", "create", "--party", "nobody"],
            "error: --party: unknown party 'nobody' (see rules/parties.yaml)\n",
        ),
        (
            ["serve", "--backend", "fast"],
            "error: --backend: must be one of auto, durable, python\n",
        ),
    ],
)
def test_cli_bad_input_one_line(tmp_path: Path, args: list[str], message: str) -> None:
    r = runner.invoke(cli, [*args, "--db", f"sqlite:///{tmp_path / 'e.db'}"])
    assert r.exit_code == 2 and r.stderr == message
