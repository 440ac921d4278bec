"""Why the text is silent: the readings of ``rules/silent-readings.yaml``.

``rules check`` lists the classes for which no rule fires. Each needs a reason a jurist can
check against the text — most are outside the regulation's scope (Arts. 1.1, 2.1) or name a
body, a stage or a matter no clause names. The reasons are data, written by people and
checked by them, not generated: a reading says, in Vietnamese and English, why the text is
silent for the classes its ``when_any`` describes, and ``cover`` attaches them to each
silent group. A group whose classes are not all covered is reported (and fails the test
suite), so a rulebook edit that makes new classes silent cannot pass unread.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from quyche_rules.analysis.classes import ABSENT, EventClass, ValueClass
from quyche_rules.errors import RulebookError
from quyche_rules.io.parse_cache import load_yaml
from quyche_rules.io.yamlio import error_message, loc_to_field
from quyche_rules.model.events import EVENT_TYPES

#: the file, in a rules directory
FILE = "silent-readings.yaml"
_ID = r"^[a-z0-9][a-z0-9-]*$"

Value = str | bool


class Reading(BaseModel):
    """One reason the text is silent, for the classes ``when_any`` describes (no
    ``when_any``: every class of the types, only for types no rule listens to)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str = Field(pattern=_ID)
    event_types: tuple[str, ...] = Field(min_length=1)
    when_any: tuple[dict[str, tuple[Value, ...]], ...] = ()
    vi: str = Field(min_length=1)
    en: str = Field(min_length=1)

    def covers(self, cls: EventClass) -> bool:
        if cls.event_type not in self.event_types:
            return False
        if not self.when_any:
            return True
        values = {v.field: v for v in cls.values}
        return any(
            all(f in values and _holds(values[f], want) for f, want in alt.items())
            for alt in self.when_any
        )


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid")
    readings: list[Reading] = Field(min_length=1)


def _holds(v: ValueClass, want: tuple[Value, ...]) -> bool:
    """The value group holds one of the wanted values: a member, or ``other`` for the
    values no condition names, ``absent``, ``empty`` (an empty list)."""
    if "other" in want and v.is_other and v.label != ABSENT and v.label != "[]":
        return True
    if "absent" in want and v.label == ABSENT:
        return True
    if "empty" in want and v.label == "[]":
        return True
    return any(_same(m, w) for m in v.members for w in want)


def _same(a: object, b: object) -> bool:
    return type(a) is type(b) and a == b


@dataclass(frozen=True)
class Readings:
    """The readings of one rules directory (empty when it has no such file)."""

    items: tuple[Reading, ...]

    def of(self, classes: Sequence[EventClass]) -> tuple[tuple[Reading, ...], int]:
        """The readings covering some of ``classes`` (in file order) and how many of the
        classes none covers."""
        used: list[Reading] = []
        bare = 0
        for c in classes:
            found = [r for r in self.items if r.covers(c)]
            if not found:
                bare += 1
            used.extend(r for r in found if r not in used)
        order = {r.id: i for i, r in enumerate(self.items)}
        return tuple(sorted(used, key=lambda r: order[r.id])), bare


def load_readings(directory: Path | None) -> Readings:
    """Read ``silent-readings.yaml`` of a rules directory; a malformed file is refused in
    one line naming the file, the reading and the field."""
    if directory is None or not (directory / FILE).is_file():
        return Readings(())
    data = load_yaml(directory / FILE)
    try:
        parsed = _File.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = list(err["loc"])
        if len(loc) >= 2 and loc[0] == "readings" and isinstance(loc[1], int):
            items = data.get("readings") if isinstance(data, dict) else None
            item = items[loc[1]] if isinstance(items, list) and loc[1] < len(items) else None
            if isinstance(item, dict) and isinstance(item.get("id"), str):
                loc[1] = item["id"]
        raise RulebookError(error_message(err), file=FILE, field=loc_to_field(loc)) from None
    seen: set[str] = set()
    for r in parsed.readings:
        if r.id in seen:
            raise RulebookError("duplicate reading id", file=FILE, field=f"readings.{r.id}.id")
        seen.add(r.id)
        for t in r.event_types:
            if t not in EVENT_TYPES:
                raise RulebookError(
                    f"unknown event type {t!r}", file=FILE, field=f"readings.{r.id}.event_types"
                )
    return Readings(tuple(parsed.readings))
