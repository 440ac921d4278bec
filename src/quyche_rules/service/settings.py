"""How a service instance is configured: one frozen object, built from the command line or
from ``QUYCHE_*`` environment variables (the only way to reach worker processes)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Literal

from quyche_rules.errors import QuycheError
from quyche_rules.service.store import DEFAULT_DB_URL, SQLITE_SYNC

BackendChoice = Literal["auto", "durable", "python"]
RateStore = Literal["auto", "memory", "database"]
RATE_STORES = ("auto", "memory", "database")


@dataclass(frozen=True)
class Settings:
    """Defaults are the documented ones (README, "HTTP service").

    ``max_body_bytes``: 256 KiB fits a full batch of 100 events with long summaries and
    stops a client from making the server buffer megabytes. ``rate_per_minute`` and
    ``rate_burst``: a document system asks a few times a minute; 600/min sustained with a
    burst of 100 leaves room for a morning batch, yet stops a runaway loop. 0 disables.

    ``profiles`` and ``profiles_dir``: more provinces in one service (docs/scaling.md); with
    ``profile`` they are every profile served, each key answered under its own.
    ``key_cache_seconds``: how long a process keeps a key it read, hence how soon a
    revocation made elsewhere is refused here. ``rate_store``: where the per-key buckets
    are counted (``auto``: the database on PostgreSQL, this process on SQLite).
    """

    db_url: str | None = DEFAULT_DB_URL  # None: the shared default (see ``store``)
    profile: str | None = None  # a deployment profile file (``--profile``/QUYCHE_PROFILE)
    max_body_bytes: int = 256 * 1024
    rate_per_minute: int = 600
    rate_burst: int = 100
    backend: BackendChoice = "auto"
    access_log: bool = True
    sqlite_sync: str = "full"
    #: /readyz fails below this much free disk where the SQLite file is: a full disk
    #: fails every write, and a balancer should stop sending writes before that
    min_free_disk_mb: int = 64
    profiles: tuple[str, ...] = ()
    profiles_dir: str | None = None
    key_cache_seconds: float = 2.0
    rate_store: RateStore = "auto"
    #: decisions one key may have stored per day (in Vietnam); 0: no quota. 20,000 is
    #: ~40 a minute for eight hours, far above a document system's day, yet it bounds
    #: what one key adds to the log (``docs/security.md``)
    decisions_per_day: int = 20_000
    #: store each decision's whole input, free text included; by default only what the
    #: rules read, the ids and the dates (with the hash of the whole in the receipt)
    store_full_input: bool = False
    #: answer the common ``POST /v1/notify`` below FastAPI (``fastpath``): the same
    #: answer for less CPU; off, every request takes the full stack (tests compare both)
    fast_path: bool = True

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        kw: dict[str, Any] = {}
        if env.get("QUYCHE_DB"):
            kw["db_url"] = env["QUYCHE_DB"]
        if env.get("QUYCHE_PROFILE", "").strip():
            kw["profile"] = env["QUYCHE_PROFILE"].strip()
        ints = {
            "QUYCHE_MAX_BODY_BYTES": "max_body_bytes",
            "QUYCHE_RATE_PER_MINUTE": "rate_per_minute",
            "QUYCHE_RATE_BURST": "rate_burst",
            "QUYCHE_MIN_FREE_DISK_MB": "min_free_disk_mb",
            "QUYCHE_DECISIONS_PER_DAY": "decisions_per_day",
        }
        for var, attr in ints.items():
            if var in env:
                try:
                    value = int(env[var])
                except ValueError:
                    raise QuycheError(f"{var}: {env[var]!r} is not an integer") from None
                if value < 0:
                    raise QuycheError(f"{var}: must not be negative")
                kw[attr] = value
        if "QUYCHE_BACKEND" in env:
            b = env["QUYCHE_BACKEND"]
            if b not in ("auto", "durable", "python"):
                raise QuycheError(f"QUYCHE_BACKEND: {b!r} is not auto, durable or python")
            kw["backend"] = b
        if "QUYCHE_SQLITE_SYNC" in env:
            if env["QUYCHE_SQLITE_SYNC"] not in SQLITE_SYNC:
                raise QuycheError(f"QUYCHE_SQLITE_SYNC: must be one of {', '.join(SQLITE_SYNC)}")
            kw["sqlite_sync"] = env["QUYCHE_SQLITE_SYNC"]
        if env.get("QUYCHE_PROFILES", "").strip():
            parts = env["QUYCHE_PROFILES"].split(os.pathsep)
            kw["profiles"] = tuple(p.strip() for p in parts if p.strip())
        if env.get("QUYCHE_PROFILES_DIR", "").strip():
            kw["profiles_dir"] = env["QUYCHE_PROFILES_DIR"].strip()
        if "QUYCHE_KEY_CACHE_SECONDS" in env:
            try:
                ttl = float(env["QUYCHE_KEY_CACHE_SECONDS"])
            except ValueError:
                ttl = -1.0
            if not 0 <= ttl <= 3600:
                raise QuycheError("QUYCHE_KEY_CACHE_SECONDS: must be a number of seconds, 0-3600")
            kw["key_cache_seconds"] = ttl
        if "QUYCHE_RATE_STORE" in env:
            if env["QUYCHE_RATE_STORE"] not in RATE_STORES:
                raise QuycheError(f"QUYCHE_RATE_STORE: must be one of {', '.join(RATE_STORES)}")
            kw["rate_store"] = env["QUYCHE_RATE_STORE"]
        if "QUYCHE_STORE_FULL_INPUT" in env:
            kw["store_full_input"] = env["QUYCHE_STORE_FULL_INPUT"] in ("1", "true", "yes")
        if "QUYCHE_FAST_PATH" in env:
            kw["fast_path"] = env["QUYCHE_FAST_PATH"] not in ("0", "false", "no")
        if "QUYCHE_ACCESS_LOG" in env:
            kw["access_log"] = env["QUYCHE_ACCESS_LOG"] not in ("0", "false", "no")
        return cls(**kw)

    def to_env(self) -> dict[str, str]:
        """The inverse of ``from_env``: what ``quyche serve`` hands to its workers."""
        return {
            "QUYCHE_DB": self.db_url or "",
            "QUYCHE_PROFILE": self.profile or "",
            "QUYCHE_MAX_BODY_BYTES": str(self.max_body_bytes),
            "QUYCHE_RATE_PER_MINUTE": str(self.rate_per_minute),
            "QUYCHE_RATE_BURST": str(self.rate_burst),
            "QUYCHE_BACKEND": self.backend,
            "QUYCHE_ACCESS_LOG": "1" if self.access_log else "0",
            "QUYCHE_SQLITE_SYNC": self.sqlite_sync,
            "QUYCHE_MIN_FREE_DISK_MB": str(self.min_free_disk_mb),
            "QUYCHE_PROFILES": os.pathsep.join(self.profiles),
            "QUYCHE_PROFILES_DIR": self.profiles_dir or "",
            "QUYCHE_KEY_CACHE_SECONDS": str(self.key_cache_seconds),
            "QUYCHE_RATE_STORE": self.rate_store,
            "QUYCHE_DECISIONS_PER_DAY": str(self.decisions_per_day),
            "QUYCHE_STORE_FULL_INPUT": "1" if self.store_full_input else "0",
            "QUYCHE_FAST_PATH": "1" if self.fast_path else "0",
        }
