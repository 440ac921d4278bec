"""What a deployment profile costs, against the same engine without one, in the same run.

Figures printed (never asserted): engine build time (conditions widened over the profile's
bodies and compiled) and per-query latency on each backend, with and without the shipped
Đắk Lắk profile, and their ratios. The query mix is the bundled example events (they name
only the regulation's parties, so both engines answer them) plus, for the profile engine,
the same events with a concrete agency or district committee swapped in.

Run: ``.venv/bin/python benchmarks/bench_profile.py [--rounds N]``
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path
from typing import Any

import yaml

from quyche_rules.engine.backends import durable_available
from quyche_rules.engine.engine import Engine
from quyche_rules.rulebook.loader import load_rulebook

ROOT = Path(__file__).resolve().parents[1]
PROFILE = ROOT / "profiles" / "dak-lak.yaml"
CONCRETE: list[dict[str, Any]] = [
    {
        "type": "personnel_action",
        "date": "2024-03-04",
        "action": "appointment",
        "stage": "process_started",
        "conducted_by": "Sở Y tế",
        "person_in_bloc": True,
        "person_committee_role": "bi_thu",
    },
    {
        "type": "violation_signs_detected",
        "date": "2024-06-10",
        "detected_by": "Thành ủy Buôn Ma Thuột",
        "subject_kind": "member",
        "subject_in_bloc": True,
        "violation_of": "law",
    },
]


def _events() -> list[dict[str, Any]]:
    out = []
    for p in sorted((ROOT / "examples" / "events").glob("*.yaml")):
        ev = yaml.safe_load(p.read_text(encoding="utf-8"))
        ev["date"] = max(str(ev["date"]), "2023-01-02")  # after the profile's signing bound
        out.append(ev)
    return out


def _build(book: Any, backend: str, profile: Path | None) -> tuple[Engine, float]:
    t = time.perf_counter()
    e = Engine(book, backend=backend, profile=profile)  # type: ignore[arg-type]
    return e, time.perf_counter() - t


def _latency(engine: Engine, events: list[dict[str, Any]], rounds: int) -> float:
    samples = []
    for _ in range(rounds):
        for ev in events:
            t = time.perf_counter()
            engine.who_must_be_notified(ev)
            samples.append(time.perf_counter() - t)
    return statistics.median(samples)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=200)
    args = ap.parse_args()
    book = load_rulebook()
    events = _events()
    backends = ["python"] + (["durable"] if durable_available() else [])
    print(f"{'backend':8} {'build (ms)':>22} {'p50 query (µs)':>26}")
    for b in backends:
        plain, t0 = _build(book, b, None)
        prof, t1 = _build(book, b, PROFILE)
        l0 = _latency(plain, events, args.rounds)
        l1 = _latency(prof, events, args.rounds)
        l2 = _latency(prof, CONCRETE, args.rounds)
        print(
            f"{b:8} {t0 * 1e3:7.1f} → {t1 * 1e3:7.1f} ×{t1 / t0:4.1f}   "
            f"{l0 * 1e6:7.1f} → {l1 * 1e6:7.1f} ×{l1 / l0:4.2f}   "
            f"(concrete bodies: {l2 * 1e6:.1f} µs)"
        )
    print("(left: without a profile; right: with profiles/dak-lak.yaml)")


if __name__ == "__main__":
    main()
