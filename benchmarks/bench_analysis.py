"""The size of the exhaustive enumeration and what checking it costs, in one run.

Figures printed (never asserted): per event type, the fields told apart, the number of
classes and whether the type had to be partitioned; then, with and without the shipped
Đắk Lắk profile, the time to enumerate, to check every class (``rules check``) on each
backend, to compare the backends on every class's projected fact (the differential test),
and to diff the rulebook against a copy with one condition narrowed (``rules diff``), with
and without skipping the event types whose rules are unchanged. Wall and CPU seconds are both
printed (the machine may be shared); ratios are CPU time against the enumeration's CPU
time in the same run.

Run: ``.venv/bin/python benchmarks/bench_analysis.py``
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from quyche_rules.analysis import check, diff
from quyche_rules.analysis.enumeration import enumerate_all, enumeration_date, parse_all
from quyche_rules.engine.backends import durable_available, reference_match
from quyche_rules.engine.engine import Engine
from quyche_rules.rulebook.loader import RULES_DIR

ROOT = Path(__file__).resolve().parents[1]
PROFILE = ROOT / "profiles" / "dak-lak.yaml"
T = TypeVar("T")


def timed(fn: Callable[[], T]) -> tuple[T, float, float]:
    """The result, wall seconds and CPU seconds of this process (on a shared machine the
    two differ; the CPU time is the one that compares across runs)."""
    t, c = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - t, time.process_time() - c


def narrowed_copy(tmp: Path) -> Path:
    """rules/ with Art. 3.1's answer to a 13.4 request no longer covering committee
    members (a real edit: one value dropped from one condition)."""
    dst = tmp / "rules"
    shutil.copytree(RULES_DIR, dst)
    f = dst / "articles" / "dieu-03.yaml"
    text = f.read_text(encoding="utf-8")
    old = "person_committee_role: [cap_uy_vien, pho_bi_thu, bi_thu]"
    f.write_text(text.replace(old, "person_committee_role: [pho_bi_thu, bi_thu]", 1), "utf-8")
    return dst


def run(profile: Path | None, narrowed: Path) -> None:
    label = "Đắk Lắk profile" if profile else "no profile"
    python = Engine(backend="python", profile=profile)
    sources = [(python.rulebook, python.triggers)]
    on = enumeration_date(python)
    types, t_enum, c_t_enum = timed(lambda: enumerate_all(sources, python.parties, on))
    total = sum(len(t.classes) for t in types)
    print(f"\n== {label}: {total} classes, dated {on.strftime('%d/%m/%Y')} ==")
    print(f"{'event type':<32} {'classes':>8} {'product':>8}  fields")
    for t in types:
        part = " (partitioned)" if t.partitioned else ""
        print(f"{t.event_type:<32} {len(t.classes):>8} {t.product:>8}  {len(t.fields)}{part}")
    rows: list[tuple[str, float, float]] = [("enumerate", t_enum, c_t_enum)]
    report, t_check, c_t_check = timed(lambda: check(python))
    rows.append(("rules check (python backend)", t_check, c_t_check))
    if durable_available():
        durable = Engine(backend="durable", profile=profile, durable_memo=0)
        _, t_dcheck, c_t_dcheck = timed(lambda: check(durable))
        rows.append(("rules check (durable backend)", t_dcheck, c_t_dcheck))
        classes = [c for t in types for c in t.classes]

        def facts() -> list[dict[str, Any]]:
            out: dict[str, dict[str, Any]] = {}
            for ev in parse_all(python, classes):
                f = python.fact(ev)
                out[json.dumps(f, sort_keys=True)] = f
            return list(out.values())

        fs, t_facts, c_t_facts = timed(facts)
        rows.append((f"project {len(fs)} distinct facts", t_facts, c_t_facts))

        def differential() -> bool:
            return all(
                durable.backend.match(f) == reference_match(python.triggers, f)
                and python.backend.match(f) == reference_match(python.triggers, f)
                for f in fs
            )

        agree, t_diff, c_t_diff = timed(differential)
        rows.append((f"backends compared on every fact (agree: {agree})", t_diff, c_t_diff))
        durable.close()
    new = Engine(rules_dir=narrowed, backend="python", profile=profile)
    d, t_rdiff, c_t_rdiff = timed(lambda: diff(python, new))
    rows.append((f"rules diff, one edit ({len(d.changes)} classes change)", t_rdiff, c_t_rdiff))

    d2, t_full, c_t_full = timed(lambda: diff(python, new, skip_unchanged=False))
    assert [c.cls.key for c in d2.changes] == [c.cls.key for c in d.changes]
    rows.append(("rules diff, every type asked again", t_full, c_t_full))
    print(f"\n{'step':<52} {'wall s':>7} {'CPU s':>7} {'CPU × enumerate':>16}")
    base = rows[0][2] or 1e-9
    for name, secs, cpu in rows:
        print(f"{name:<52} {secs:>7.2f} {cpu:>7.2f} {cpu / base:>16.1f}")
    print(
        f"duplicates {len(report.duplicates)}, conflicts {len(report.conflicts)}, "
        f"silent classes {sum(g.classes for g in report.silent)} in {len(report.silent)} groups"
    )


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        narrowed = narrowed_copy(Path(tmp))
        for profile in (None, PROFILE):
            run(profile, narrowed)


if __name__ == "__main__":
    main()
