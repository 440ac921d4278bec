"""Scenario files: the jurist's tests of the rulebook, as data.

A scenario is a story (Vietnamese and English), the event(s) it produces and what the text
demands: the obligations expected (exactly that set, unless the scenario says ``exact:
false``) and the clauses or rules that must not fire. The format is documented in
``tests/scenarios/README.md``. Like ``openfisca test`` and ``opa test``, this is how the people
who own the text check the code without writing Python: ``quyche test`` and pytest both run
the same files through this module.

Three steps, each with its own errors: ``load_scenario_files`` checks the shape of a file
(Pydantic), ``check_scenarios`` checks its names against the rulebook (rule ids, clause ids,
parties) so that a misspelt rule in ``must_not_fire`` can never pass vacuously, and
``run_scenario`` runs the events and compares.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from quyche_rules.errors import QuycheError, ScenarioError
from quyche_rules.io.parse_cache import load_yaml
from quyche_rules.io.yamlio import error_message, loc_to_field
from quyche_rules.model.basis import Basis
from quyche_rules.model.obligations import Obligation, merge_duties
from quyche_rules.rulebook.loader import Rule, Rulebook

_ID_PATTERN = r"^[a-z0-9][a-z0-9.-]*$"


class Story(BaseModel):
    """What happened, told so that a jurist can check the expectations against the text."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    vi: str = Field(min_length=1)
    en: str = Field(min_length=1)


class ExpectedObligation(BaseModel):
    """One obligation the text demands. ``due`` and ``silence_means`` are compared only
    when written (``due: null`` asserts that no due date can be computed)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    rule: str = Field(min_length=1)
    obligated: str = Field(min_length=1)
    counterparties: list[str] = Field(min_length=1)
    due: dt.date | None = None
    silence_means: Literal["consent"] | None = None


class ScenarioModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str = Field(pattern=_ID_PATTERN)
    story: Story
    event: dict[str, Any] | None = None
    events: list[dict[str, Any]] | None = Field(default=None, min_length=1)
    expect: list[ExpectedObligation] = Field(default_factory=list)
    exact: bool = True
    must_not_fire: list[str] = Field(default_factory=list)
    profile: str | None = None
    defect: str | None = None

    @model_validator(mode="after")
    def _one_way_to_give_events(self) -> ScenarioModel:
        if (self.event is None) == (self.events is None):
            raise ValueError("give exactly one of event: or events:")
        if not self.exact and not self.expect and not self.must_not_fire:
            raise ValueError("exact: false with nothing in expect or must_not_fire tests nothing")
        return self


class ScenarioFileModel(BaseModel):
    model_config = ConfigDict(extra="forbid")
    article: int | None = Field(default=None, ge=1)
    scenarios: list[ScenarioModel] = Field(min_length=1)


@dataclass(frozen=True)
class Scenario:
    """A scenario as loaded, with the file it came from (for error messages)."""

    model: ScenarioModel
    file: str

    @property
    def id(self) -> str:
        return self.model.id

    @property
    def events(self) -> list[dict[str, Any]]:
        m = self.model
        return [m.event] if m.event is not None else list(m.events or [])


# --- loading ----------------------------------------------------------------------------------


def scenario_paths(paths: Iterable[str | Path]) -> list[Path]:
    """Files to run: a file as given, a directory's ``*.yaml`` (not its subdirectories, so
    that ``pending/`` stays out until its defects are fixed)."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found = sorted(p.glob("*.yaml"))
            if not found:
                raise ScenarioError("no *.yaml scenario files in this directory", file=str(p))
            out.extend(found)
        elif p.is_file():
            out.append(p)
        else:
            raise ScenarioError("no such file or directory", file=str(p))
    return out


def load_scenario_file(path: Path) -> list[Scenario]:
    """Validate one file's shape; errors name the file, the scenario id and the field."""
    data = load_yaml(path)
    try:
        parsed = ScenarioFileModel.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = list(err["loc"])
        sid = None
        if len(loc) >= 2 and loc[0] == "scenarios" and isinstance(loc[1], int):
            items = data.get("scenarios") if isinstance(data, dict) else None
            if isinstance(items, list) and loc[1] < len(items) and isinstance(items[loc[1]], dict):
                raw = items[loc[1]].get("id")
                sid = raw if isinstance(raw, str) else f"#{loc[1] + 1}"
            loc = loc[2:]
        raise ScenarioError(
            error_message(err), file=path.name, scenario=sid, field=loc_to_field(loc)
        ) from None
    return [Scenario(m, path.name) for m in parsed.scenarios]


def load_scenario_files(paths: Iterable[str | Path]) -> list[Scenario]:
    """Every scenario of the given files and directories; ids must be unique across them."""
    out: list[Scenario] = []
    seen: dict[str, str] = {}
    for path in scenario_paths(paths):
        for sc in load_scenario_file(path):
            if sc.id in seen:
                raise ScenarioError(
                    f"duplicate scenario id (also in {seen[sc.id]})",
                    file=sc.file,
                    scenario=sc.id,
                    field="id",
                )
            seen[sc.id] = sc.file
            out.append(sc)
    return out


def clause_id(rule_id: str) -> str:
    """The clause part of a rule id: ``art13.4.notify-x`` → ``art13.4``."""
    return rule_id.rsplit(".", 1)[0]


def _matches(entry: str, rule_id: str) -> bool:
    return entry in (rule_id, clause_id(rule_id))


def check_scenarios(scenarios: Sequence[Scenario], book: Rulebook) -> None:
    """Check every name a scenario uses against the rulebook: an expectation naming an
    unknown rule, or a ``must_not_fire`` entry matching no rule, would pass for the wrong
    reason, so both are errors."""
    for sc in scenarios:
        m = sc.model
        for i, exp in enumerate(m.expect):
            where = f"expect.{i}"
            if exp.rule not in book.rules:
                raise ScenarioError(
                    f"unknown rule id {exp.rule!r}", file=sc.file, scenario=sc.id, field=where
                )
            for fld, ref in [("obligated", exp.obligated)] + [
                (f"counterparties.{j}", c) for j, c in enumerate(exp.counterparties)
            ]:
                try:
                    book.parties.resolve(ref)
                except KeyError:
                    raise ScenarioError(
                        f"unknown party {ref!r}",
                        file=sc.file,
                        scenario=sc.id,
                        field=f"{where}.{fld}",
                    ) from None
        for i, entry in enumerate(m.must_not_fire):
            where = f"must_not_fire.{i}"
            hit = [rid for rid in book.rules if _matches(entry, rid)]
            if not hit:
                raise ScenarioError(
                    f"{entry!r} is neither a rule id nor a clause id (like art13.4) of any rule",
                    file=sc.file,
                    scenario=sc.id,
                    field=where,
                )
            both = [e.rule for e in m.expect if _matches(entry, e.rule)]
            if both:
                raise ScenarioError(
                    f"{entry!r} is also expected to fire ({both[0]})",
                    file=sc.file,
                    scenario=sc.id,
                    field=where,
                )


def load_scenarios(paths: Iterable[str | Path], book: Rulebook) -> list[Scenario]:
    scenarios = load_scenario_files(paths)
    check_scenarios(scenarios, book)
    return scenarios


# --- running ----------------------------------------------------------------------------------

Key = tuple[str, str, frozenset[str]]


@dataclass(frozen=True)
class Outcome:
    """The result of one scenario: passed, or the differences (one line each)."""

    scenario: Scenario
    problems: tuple[str, ...] = ()
    error: str | None = None

    @property
    def passed(self) -> bool:
        return not self.problems and self.error is None


def _key(rule: str, obligated: str, counterparties: Iterable[str]) -> Key:
    return (rule, obligated, frozenset(counterparties))


def _show(k: Key) -> str:
    return f"{k[0]}: {k[1]} → {', '.join(sorted(k[2]))}"


def run_scenario(engine: Any, sc: Scenario) -> Outcome:
    """Run the scenario's events through ``engine`` and compare with what the text demands."""
    m = sc.model
    if m.profile is not None:
        return Outcome(sc, error="profile: deployment profiles are not supported yet")
    parties = engine.rulebook.parties
    actual: list[Obligation] = []
    for i, ev in enumerate(sc.events):
        try:
            actual.extend(engine.who_must_be_notified(ev))
        except QuycheError as exc:
            where = "event" if m.event is not None else f"events.{i}"
            return Outcome(sc, error=f"{where}: {exc}")
    # the events of one scenario report one story: a duty they state twice (the same letter
    # as two events, two stages of one procedure) is one duty (duty_key)
    actual = merge_duties(actual)
    got: dict[Key, Obligation] = {
        _key(o.rule_id, o.obligated.id, (c.id for c in o.counterparties)): o for o in actual
    }
    wanted: dict[Key, ExpectedObligation] = {
        _key(
            e.rule,
            parties.resolve(e.obligated).id,
            (parties.resolve(c).id for c in e.counterparties),
        ): e
        for e in m.expect
    }
    problems: list[str] = []
    for k in wanted.keys() - got.keys():
        problems.append(f"missing      {_show(k)}")
    if m.exact:
        for k in got.keys() - wanted.keys():
            if not any(_matches(entry, k[0]) for entry in m.must_not_fire):
                problems.append(f"unexpected   {_show(k)}")
    for k in got:
        hit = next((entry for entry in m.must_not_fire if _matches(entry, k[0])), None)
        if hit is not None:
            problems.append(f"must not fire ({hit}) {_show(k)}")
    for k, e in wanted.items():
        found = got.get(k)
        if found is None:
            continue
        o = found
        if "due" in e.model_fields_set and o.due != e.due:
            problems.append(f"due          {_show(k)}: expected {_date(e.due)}, got {_date(o.due)}")
        if "silence_means" in e.model_fields_set and o.silence_means != e.silence_means:
            problems.append(
                f"silence      {_show(k)}: expected {e.silence_means or 'none'}, "
                f"got {o.silence_means or 'none'}"
            )
    return Outcome(sc, problems=tuple(sorted(problems)))


def _date(d: dt.date | None) -> str:
    return d.isoformat() if d is not None else "none"


def run_scenarios(engine: Any, scenarios: Iterable[Scenario]) -> list[Outcome]:
    return [run_scenario(engine, sc) for sc in scenarios]


# --- coverage ---------------------------------------------------------------------------------


@dataclass
class ClauseCoverage:
    """How many scenarios test one clause: positive (a rule of it is expected to fire) and
    negative (it, or one of its rules, is named in ``must_not_fire``)."""

    clause: str
    basis: Basis
    rules: list[str] = field(default_factory=list)
    positive: int = 0
    negative: int = 0
    unexercised_rules: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return self.positive > 0 and self.negative > 0


def triggered_rules(book: Rulebook) -> list[Rule]:
    """Rules an event can fire (periods included: they fire on ``period_started``)."""
    return sorted((r for r in book if r.event_triggers), key=lambda r: (r.basis, r.id))


def coverage(book: Rulebook, scenarios: Sequence[Scenario]) -> list[ClauseCoverage]:
    rows: dict[str, ClauseCoverage] = {}
    for r in triggered_rules(book):
        row = rows.setdefault(clause_id(r.id), ClauseCoverage(clause_id(r.id), r.basis))
        row.rules.append(r.id)
    fired_somewhere: set[str] = set()
    for sc in scenarios:
        expected = {e.rule for e in sc.model.expect}
        fired_somewhere |= expected
        for row in rows.values():
            if any(rid in expected for rid in row.rules):
                row.positive += 1
            if any(_matches(e, rid) for e in sc.model.must_not_fire for rid in row.rules):
                row.negative += 1
    for row in rows.values():
        row.unexercised_rules = [rid for rid in row.rules if rid not in fired_somewhere]
    return sorted(rows.values(), key=lambda r: r.basis)
