"""The field types events are built from: party ids resolved against the registry, strict
ISO dates, NFC text.

Kept apart from the event models so a reader of ``events.py`` sees the vocabulary, and the
validators that enforce it live here.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import (
    BeforeValidator,
    Field,
    ValidationInfo,
)

from quyche_rules.errors import excerpt
from quyche_rules.model.parties import AGENCY_CLASS, PartyRegistry, default_registry


@dataclass(frozen=True)
class PartyField:
    """Marks a field whose value is a party id (so rules may write ``@field``)."""


def _resolve_party(value: Any, info: ValidationInfo) -> str:
    if not isinstance(value, str):
        raise ValueError("must be a party id or name (a string)")
    registry: PartyRegistry = (info.context or {}).get("registry") or default_registry()
    try:
        return registry.resolve(value).id
    except KeyError:
        raise ValueError(f"unknown party {value!r}") from None


def _resolve_agency(value: Any, info: ValidationInfo) -> str:
    """``agency``: the Bloc agency the event concerns, by id or name; a body of the agency
    (its leadership, its Party organisation) names the agency too."""
    pid = _resolve_party(value, info)
    registry: PartyRegistry = (info.context or {}).get("registry") or default_registry()
    agency = registry.agency_of(pid)
    if agency is None:
        raise ValueError(
            f"{value!r} is not a Bloc agency (a member of {AGENCY_CLASS} in the loaded profile)"
        )
    return agency


def _resolve_district(value: Any, info: ValidationInfo) -> str:
    if not isinstance(value, str):
        raise ValueError("must be a district id or name (a string)")
    registry: PartyRegistry = (info.context or {}).get("registry") or default_registry()
    try:
        return registry.resolve_district(value)
    except KeyError:
        known = ", ".join(sorted(registry.districts)) or "none: load a profile"
        raise ValueError(f"unknown district {value!r} (known: {known})") from None


#: Plausible event dates: the working calendar covers 2000-2100 (``calendar.MIN_YEAR`` and
#: ``MAX_YEAR``); a date outside is a typo (``0202-01-23``) and is refused, not answered.
MIN_EVENT_YEAR = 2000
MAX_EVENT_YEAR = 2100
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def strict_date(value: Any) -> dt.date:
    """Strict ISO ``YYYY-MM-DD`` (not the looser forms ``fromisoformat`` accepts since 3.11,
    such as ``20250123``; no surrounding spaces; never a number, a boolean or a
    date-time), a real calendar date. The one reading of a date for the event model, the
    CLI's date options and the service's query parameters; raises ``ValueError``."""
    if isinstance(value, dt.datetime):
        raise ValueError("must be a date (YYYY-MM-DD), not a date-time")
    if isinstance(value, str):
        text = value  # no surrounding spaces: " 2025-01-02" is not the form the schema gives
        if not _ISO_DATE.fullmatch(text):
            raise ValueError(f"{excerpt(value)} is not an ISO date (YYYY-MM-DD)")
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            raise ValueError(f"{excerpt(value)} is not a real date") from None
    if isinstance(value, dt.date):
        return value
    raise ValueError("must be an ISO date (YYYY-MM-DD)")


def _iso_date(value: Any) -> dt.date:
    """``strict_date``, in the plausible years."""
    day = strict_date(value)
    if not MIN_EVENT_YEAR <= day.year <= MAX_EVENT_YEAR:
        raise ValueError(
            f"{day.isoformat()} is outside the supported years {MIN_EVENT_YEAR}-{MAX_EVENT_YEAR}"
        )
    return day


#: Characters no free-text field may carry: C0/C1 controls (ESC, BEL, CR, LF, NUL... can
#: rewrite another body's terminal when ``quyche track show`` prints the field), the
#: Unicode line/paragraph separators, the bidirectional overrides and isolates (U+202E
#: shows text reversed: a reference can then read as another), and lone UTF-16 surrogates
#: (JSON's ``"\ud800"`` escape decodes to one; it cannot be encoded as UTF-8, so it would
#: break every writer downstream). A document's reference and summary are one line of
#: printable text; refusing here gives the CLI, the library and HTTP one rule.
_FORBIDDEN_TEXT = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)


def _clean_text(value: Any) -> Any:
    """NFC, after refusing the characters of ``_FORBIDDEN_TEXT`` (named by code point, so
    the one-line error itself stays printable)."""
    if not isinstance(value, str):
        return value
    bad = _FORBIDDEN_TEXT.search(value)
    if bad is not None:
        ch = bad.group()
        raise ValueError(
            f"ký tự điều khiển U+{ord(ch):04X} ở vị trí {bad.start()} không được phép / "
            f"control, bidi or surrogate character U+{ord(ch):04X} at position "
            f"{bad.start()} is not allowed"
        )
    return unicodedata.normalize("NFC", value)


PartyId = Annotated[
    str,
    BeforeValidator(_resolve_party),
    PartyField(),
    Field(json_schema_extra={"description": "party id or name, see rules/parties.yaml"}),
]
AgencyId = Annotated[
    str,
    BeforeValidator(_resolve_agency),
    Field(json_schema_extra={"description": "a Bloc agency of the profile, by id or name"}),
]
DistrictId = Annotated[
    str,
    BeforeValidator(_resolve_district),
    Field(json_schema_extra={"description": "a district of the profile, by id or name"}),
]
IsoDate = Annotated[dt.date, BeforeValidator(_iso_date)]
#: a strict ISO date of any year (``strict_date``): query parameters such as ``as_of``
StrictDate = Annotated[dt.date, BeforeValidator(strict_date)]
Text = Annotated[str, BeforeValidator(_clean_text), Field(max_length=2000)]
