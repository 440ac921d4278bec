"""API keys: who is asking, and what they may see.

A key looks like ``qk_<key id>_<secret>``: the key id (8 hex digits) is public and names
the key in logs and in the decision log; the secret is 32 random bytes. Only the sha256 of
the whole key is stored, so a copy of the database does not let anyone call the service.
Each key is bound to one body of the party registry or is an administrator's.

Authorisation is by body: a key reads a decision or a tracker case only when its body is
a party to it (or counts as one), or it asked for it; anything else is answered 404,
exactly as if it did not exist, so a probe learns nothing. A key records tracker events
only as its own body or a body it acts for (``may_act_as``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from quyche_rules.model.parties import PartyKind, PartyRegistry
from quyche_rules.service.store import KeyRecord, Store

_KEY = re.compile(r"^qk_([0-9a-f]{8})_([A-Za-z0-9_-]{43})$")


@dataclass(frozen=True)
class Principal:
    """The caller, once its key is checked."""

    key_id: str
    party: str | None
    admin: bool
    #: the profile the key is bound to (its name), None: the service's own
    profile: str | None = None


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("ascii")).hexdigest()


def new_key(
    store: Store,
    *,
    party: str | None,
    admin: bool,
    label: str | None = None,
    profile: str | None = None,
) -> tuple[str, KeyRecord]:
    """Create and store a key; the plain key is returned once and never kept. ``profile``
    binds it to one province's profile (by name): a service loading several answers it
    under that one."""
    if admin == (party is not None):
        raise ValueError("a key is either an administrator's or bound to one party")
    while True:
        key_id = secrets.token_hex(4)
        if store.get_key(key_id) is None:
            break
    key = f"qk_{key_id}_{secrets.token_urlsafe(32)}"
    rec = KeyRecord(
        key_id=key_id,
        key_sha256=hash_key(key),
        party=party,
        admin=admin,
        label=label,
        created_at=dt.datetime.now(dt.UTC),
        revoked_at=None,
        profile=profile,
    )
    store.add_key(rec)
    return key, rec


class KeyCache:
    """Key records read from the store, kept ``ttl`` seconds: a request need not read its
    key from the database, and a revocation made anywhere (``quyche keys revoke``, another
    instance) is seen by this process within ``ttl`` seconds. Only keys found are kept:
    a new key works at once everywhere. ``ttl=0`` reads the store on every request."""

    def __init__(
        self, store: Store, ttl: float, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.store = store
        self.ttl = ttl
        self.clock = clock
        self._kept: dict[str, tuple[float, KeyRecord]] = {}
        self._lock = threading.Lock()

    def kept(self, key_id: str) -> bool:
        """Is a record of ``key_id`` kept, whatever its age?"""
        with self._lock:
            return key_id in self._kept

    def get(self, key_id: str, *, read: bool = True) -> KeyRecord | None:
        """The key's record; ``read=False``: only a kept one (no I/O), else None."""
        now = self.clock()
        with self._lock:
            hit = self._kept.get(key_id)
        if hit is not None and now - hit[0] < self.ttl:
            return hit[1]
        if not read:
            return None
        if self.ttl <= 0:
            return self.store.get_key(key_id)
        rec = self.store.get_key(key_id)
        with self._lock:
            if rec is None:
                self._kept.pop(key_id, None)
            else:
                if len(self._kept) > 10_000:  # bounded: forged key ids are never kept
                    self._kept.clear()
                self._kept[key_id] = (now, rec)
        return rec


def was_kept(key: str, cache: KeyCache | None) -> bool:
    """Did ``cache`` keep this key's record (perhaps past its time)? A busy caller's key
    is read again each ``ttl``; a key never kept may be forged, and is read only once,
    by the full check."""
    m = _KEY.match(key)
    return m is not None and cache is not None and cache.kept(m.group(1))


def authenticate(
    store: Store, key: str, cache: KeyCache | None = None, *, read: bool = True
) -> Principal | None:
    """The principal for a presented key, or None if it is malformed, unknown or revoked
    (as of ``cache``'s last read of it, when given; ``read=False``: None unless kept)."""
    m = _KEY.match(key)
    if m is None:
        return None
    rec = store.get_key(m.group(1)) if cache is None else cache.get(m.group(1), read=read)
    if rec is None or rec.revoked_at is not None:
        return None
    if not hmac.compare_digest(rec.key_sha256, hash_key(key)):
        return None
    return Principal(rec.key_id, rec.party, rec.admin, rec.profile)


def needs_read(key: str, cache: KeyCache | None) -> bool:
    """Would ``authenticate(store, key, cache)`` read the store? Not for a malformed key
    (refused as such) nor for one ``cache`` keeps: those are answered without I/O, on the
    event loop, with no hop to a worker thread."""
    m = _KEY.match(key)
    if m is None:
        return False
    return cache is None or cache.get(m.group(1), read=False) is None


def may_read(
    who: Principal,
    parties: Iterable[str],
    registry: PartyRegistry,
    *,
    asked_by_key: str | None = None,
) -> bool:
    """May ``who`` read a record naming ``parties``? Admins always; a body when it is one
    of the parties, or counts as one of them (a member of a class among them — the class
    names its members — or a body acting for one, e.g. a profile's leadership of an
    agency); a key that asked for the decision itself (it was given the answer already)."""
    if who.admin or (asked_by_key is not None and asked_by_key == who.key_id):
        return True
    if who.party is None:
        return False
    # a key bound to a body of a profile this instance does not serve: only itself
    known = who.party in registry.parties
    mine = {who.party, *registry.up(who.party)} if known else {who.party}
    for pid in parties:
        if pid in mine:
            return True
        p = registry.parties.get(pid)
        if p is not None and p.kind is PartyKind.CLASS and who.party in p.members:
            return True
    return False


def acts_for_chain(party: str, registry: PartyRegistry | None) -> tuple[str, ...]:
    """``party`` and the bodies it acts for, transitively (``acts_for``: a profile's
    "Lãnh đạo Sở Y tế" acts for "Sở Y tế"). Class membership is not acting for: a member
    of a class does not speak for its class."""
    out = [party]
    if registry is None:
        return tuple(out)
    cur = registry.parties.get(party)
    while cur is not None and cur.acts_for is not None and cur.acts_for not in out:
        out.append(cur.acts_for)
        cur = registry.parties.get(cur.acts_for)
    return tuple(out)


def may_act_as(who: Principal, party: str, registry: PartyRegistry | None = None) -> bool:
    """May ``who`` record an event as ``party`` (``POST /v1/track``)? Administrators; a
    key bound to that very body; a key bound to a body that acts for it (``acts_for`` in
    ``registry``, transitively). Never a member for its class, nor a body for its organs."""
    if who.admin:
        return True
    return who.party is not None and party in acts_for_chain(who.party, registry)


class RateLimiter:
    """Token bucket per key id, in this process: ``rate`` requests per minute sustained,
    ``burst`` at once. With several workers each keeps its own buckets (documented: the
    effective limit is per worker); ``ratelimit.DatabaseRateLimiter`` shares them."""

    def __init__(self, per_minute: int, burst: int) -> None:
        self.rate = per_minute / 60.0
        self.burst = float(burst)
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.rate > 0

    def take(self, key_id: str) -> float:
        """0.0 if the request may go on, else the seconds to wait before the next one."""
        if not self.enabled:
            return 0.0
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(key_id, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            if tokens >= 1.0:
                self._buckets[key_id] = (tokens - 1.0, now)
                return 0.0
            self._buckets[key_id] = (tokens, now)
            return (1.0 - tokens) / self.rate
