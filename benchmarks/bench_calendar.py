"""Throughput of ``WorkingCalendar.add_working_days`` against a naive day-by-day loop.

Why: a document-management system computes a deadline for every incoming document and
re-checks open ones, so the calendar must not be the bottleneck (target: >= 500,000
calls/s for n <= 30 on dates 2024-2030). The naive loop uses the very same
``is_working_day`` predicate but steps one day at a time with no precomputed index, so the
ratio shows what the prefix-count table buys. Both are measured in the same run on the same
random queries. No assertion on time: machines differ; read the numbers.

Run: ``.venv/bin/python benchmarks/bench_calendar.py``
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from datetime import date, timedelta

from quyche_rules.calendar.working_days import WorkingCalendar

FIRST = date(2024, 1, 1)
LAST = date(2030, 12, 31)
MAX_N = 30


def naive_add(cal: WorkingCalendar, start: date, n: int) -> date:
    """The n-th working day after ``start`` by walking the calendar day by day."""
    d = start
    while n > 0:
        d += timedelta(days=1)
        if cal.is_working_day(d):
            n -= 1
    return d


def queries(count: int, seed: int) -> list[tuple[date, int]]:
    rng = random.Random(seed)
    lo, hi = FIRST.toordinal(), LAST.toordinal()
    return [(date.fromordinal(rng.randint(lo, hi)), rng.randint(0, MAX_N)) for _ in range(count)]


def rate(fn: Callable[[date, int], date], qs: list[tuple[date, int]], repeat: int = 5) -> float:
    """Best calls/s over ``repeat`` passes (the best pass is the least disturbed one)."""
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        for d, n in qs:
            fn(d, n)
        best = min(best, time.perf_counter() - t0)
    return len(qs) / best


def main() -> None:
    cal = WorkingCalendar()
    # Warm up: build the 2024-2031 tables once, outside the timed region.
    cal.add_working_days(FIRST, 1)
    cal.add_working_days(LAST, MAX_N)

    fast_qs = queries(200_000, seed=1)
    naive_qs = fast_qs[:20_000]
    for d, n in naive_qs[:2_000]:  # sanity: both give the same answers
        assert cal.add_working_days(d, n) == naive_add(cal, d, n), (d, n)

    fast = rate(cal.add_working_days, fast_qs)
    naive = rate(lambda d, n: naive_add(cal, d, n), naive_qs)
    print(f"queries: dates {FIRST}..{LAST}, n in 0..{MAX_N}")
    print(f"WorkingCalendar.add_working_days : {fast:>12,.0f} calls/s")
    print(f"naive day-by-day loop            : {naive:>12,.0f} calls/s")
    print(f"ratio                            : {fast / naive:>12,.1f}x")


if __name__ == "__main__":
    main()
