"""The check and the diff as text a jurist reads: Vietnamese first, English second,
dates dd/mm/yyyy. Plain lines, so the CLI only prints them and a test can read them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from quyche_rules.analysis.check import NO_ONE, CheckReport
from quyche_rules.analysis.classes import ANY
from quyche_rules.analysis.diff import DiffReport

#: rules shown per silent group in text (the JSON has all)
MAX_UNMET = 4


def _d(day: dt.date | str | None) -> str:
    if day is None:
        return ""
    if isinstance(day, str):
        day = dt.date.fromisoformat(day)
    return day.strftime("%d/%m/%Y")


def obligation_line(ob: dict[str, Any]) -> str:
    """One obligation of ``check.brief`` in one line."""
    due = f", hạn/due {_d(ob['due'])}" if ob["due"] else ""
    basis = ob["basis"] if ob["basis"].startswith("Điều") else f"Điều {ob['basis']}"
    silence = f", im lặng/silence = {ob['silence_means']}" if ob["silence_means"] else ""
    cps = ", ".join(ob["counterparties"])
    return (
        f"{ob['rule_id']} ({basis}): {ob['obligated']} → {cps} "
        f"[{ob['duty']}, {ob['form']}{due}{silence}]"
    )


def check_lines(report: CheckReport, *, classes: bool = False) -> Iterator[str]:
    from quyche_rules.analysis.check import brief

    where = f"hồ sơ/profile {report.profile}" if report.profile else "không hồ sơ/no profile"
    yield (
        f"Kiểm tra toàn bộ quy tắc / Exhaustive rulebook check — {where}, "
        f"ngày/date {_d(report.date)}"
    )
    head = "trường được phân biệt / fields told apart"
    yield f"{'loại sự kiện / event type':<32} {'lớp/classes':>11}  {head}"
    for t in report.types:
        note = " (tách nhóm / partitioned)" if t.partitioned else ""
        yield f"{t.event_type:<32} {len(t.classes):>11}  {', '.join(t.fields) or '—'}{note}"
        for s in t.skipped:
            yield f"{'':<45}bỏ qua / skipped: {s}"
    total = sum(len(t.classes) for t in report.types)
    yield f"{'tổng / total':<32} {total:>11}"
    if classes:
        for r in report.results:
            yield ""
            yield r.cls.key
            if r.error:
                yield f"  từ chối / refused: {r.error}"
            for ob in r.obligations:
                yield "  " + obligation_line(brief(ob))
            if not r.obligations and not r.error:
                yield "  (không quy tắc nào / no rule fires)"
    yield ""
    yield f"Trùng lặp / duplicates: {len(report.duplicates)}"
    for d in report.duplicates:
        cps = ", ".join(sorted(d.key[2]))
        yield (
            f"  {d.cls.key}: Điều {d.key[0]} {d.key[1]} → {cps} [{d.key[3]}] "
            f"từ/from {', '.join(d.rule_ids)}"
        )
    yield f"Xung đột / conflicts: {len(report.conflicts)}"
    for c in report.conflicts:
        yield f"  {c.cls.key}: {c.reading_vi} / {c.reading_en}"
    if report.refused:
        yield f"Lớp bị từ chối / refused classes: {len(report.refused)}"
        for r in report.refused:
            yield f"  {r.cls.key}: {r.error}"
    n = sum(g.classes for g in report.silent)
    yield (
        f"Lớp im lặng (không quy tắc nào áp dụng) / silent classes (no rule fires): "
        f"{n} lớp/classes, {len(report.silent)} nhóm/groups"
    )
    for g in report.silent:
        yield f"  {g.event_type} ({g.classes}): {_when(g.when)}"
        if not g.unmet:
            yield "      không quy tắc nào nghe loại này / no rule listens to this type"
        for rid, conds in g.unmet[:MAX_UNMET]:
            why = NO_ONE if conds == (NO_ONE,) else f"thiếu / unmet {'; '.join(conds)}"
            yield f"      {rid}: {why}"
        if len(g.unmet) > MAX_UNMET:
            yield f"      … (+{len(g.unmet) - MAX_UNMET} quy tắc / rules; --json lists all)"
        for rd in g.readings:
            yield f"      ⇒ [{rd.id}] {rd.vi}"
            yield f"        {rd.en}"
        if g.unread:
            yield (
                f"      ⚠ chưa có cách đọc cho {g.unread} lớp / no reading for {g.unread} "
                "classes (rules/silent-readings.yaml)"
            )


def _when(when: tuple[tuple[str, tuple[str, ...]], ...]) -> str:
    return "; ".join(f"{f} ∈ {{{', '.join(v)}}}" for f, v in when) or f"mọi lớp / {ANY}"


def diff_lines(report: DiffReport, old: str, new: str, *, classes: bool = False) -> Iterator[str]:
    where = f"hồ sơ/profile {report.profile}" if report.profile else "không hồ sơ/no profile"
    yield f"So sánh quy tắc / Rulebook diff: {old} → {new} — {where}, ngày/date {_d(report.date)}"
    yield f"{report.classes} lớp/classes; {len(report.changes)} lớp thay đổi / classes change"
    if report.unchanged_types:
        yield (
            "loại sự kiện có quy tắc không đổi (không cần hỏi lại) / event types whose rules "
            f"are unchanged (not asked again): {len(report.unchanged_types)}"
        )
    for g in report.groups:
        yield ""
        yield f"{g.event_type} ({g.classes} lớp/classes): {_when(g.when)}"
        for ob in g.disappeared:
            yield "  - " + obligation_line(ob)
        for ob in g.appeared:
            yield "  + " + obligation_line(ob)
        for label, err in (("cũ/old", g.old_error), ("mới/new", g.new_error)):
            if err:
                yield f"  từ chối ({label}) / refused: {err}"
    if not classes:
        return
    for c in report.changes:
        yield ""
        yield c.cls.key
        for ob in c.disappeared:
            yield "  - " + obligation_line(ob)
        for ob in c.appeared:
            yield "  + " + obligation_line(ob)
