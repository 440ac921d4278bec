"""Decision receipts: what an auditor needs to know which rulebook produced an answer.

A receipt names the decision (an id to fetch it back from the log), the rulebook (content
hash and version), the engine (backend and library versions), the profile in force and a
hash of the canonical input. The canonical input is the *validated* event (party names
resolved to ids, strings in NFC, defaults filled) as sorted compact JSON, so the same event
written with names or with ids has the same hash.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import platform
import uuid
from functools import cache
from importlib import metadata
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from quyche_rules.engine.engine import Engine
from quyche_rules.service.requestid import current as current_request_id

PACKAGE = "quyche-rules"


class Receipt(BaseModel):
    """Carried by every decision the service answers; also stored in the decision log."""

    model_config = ConfigDict(frozen=True)

    decision_id: str = Field(description="UUID; GET /v1/decisions/{decision_id} fetches it back")
    decided_at: dt.datetime = Field(description="UTC time of the decision")
    rulebook_hash: str = Field(description="sha256 over the rule files (rules/)")
    rulebook_version: str = Field(description="version of the package that ships the rulebook")
    package_version: str
    backend: str = Field(description="engine backend that matched the event: durable or python")
    backend_reason: str = Field(
        default="",
        description="why that backend answered: `requested`, or `auto: …` (durable-rules "
        "installed, or not installed on this Python so the pure-Python matcher answered)",
    )
    backend_versions: dict[str, str] = Field(
        description="versions of the libraries the answer depends on"
    )
    profile: str | None = Field(
        description="profile in force as `<file> sha256:<hex of its bytes>`, null for the "
        "bare regulation"
    )
    input_sha256: str = Field(description="sha256 of the canonical JSON of the validated input")
    request_id: str | None = Field(
        default=None,
        description="X-Request-ID of the request that asked (absent in receipts logged "
        "before request ids existed)",
    )


def canonical_json(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def input_hash(data: Any) -> str:
    return hashlib.sha256(canonical_json(data).encode("utf-8")).hexdigest()


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


@cache
def package_version() -> str:
    return _version(PACKAGE) or "0+unknown"


class ReceiptMaker:
    """Everything in a receipt that does not change between decisions, computed once."""

    def __init__(self, engine: Engine) -> None:
        self.rulebook_hash = engine.rulebook.content_hash
        self.backend = engine.backend.name
        self.backend_reason = engine.backend_choice.reason
        versions = {"python": platform.python_version()}
        for dist in ("pydantic", "durable-rules"):
            v = _version(dist)
            if v is not None and (dist != "durable-rules" or self.backend == "durable"):
                versions[dist] = v
        self.backend_versions = versions
        # the profile by file name and content hash (``Profile.label``), so an audit can
        # tell which edition of the province's bodies was in force
        self.profile = None if engine.profile is None else engine.profile.label

    def make(self, canonical_input: Any, *, now: dt.datetime | None = None) -> Receipt:
        return self.make_for_json(canonical_json(canonical_input), now=now)

    def make_for_json(self, canonical_text: str, *, now: dt.datetime | None = None) -> Receipt:
        """A receipt for input already written as canonical JSON (``canonical_json``): the
        service hashes the text it also stores, instead of serialising the input twice."""
        return Receipt(
            decision_id=str(uuid.uuid4()),
            decided_at=now or dt.datetime.now(dt.UTC),
            rulebook_hash=self.rulebook_hash,
            rulebook_version=package_version(),
            package_version=package_version(),
            backend=self.backend,
            backend_reason=self.backend_reason,
            backend_versions=self.backend_versions,
            profile=self.profile,
            input_sha256=hashlib.sha256(canonical_text.encode("utf-8")).hexdigest(),
            request_id=current_request_id(),
        )
