"""The stream of requests the crash and concurrency tests' writers record."""

from __future__ import annotations

from typing import Any

from .events import request

PAIRS = [
    ("dang_uy_khoi", "ban_noi_chinh_tinh_uy"),
    ("ban_to_chuc_tinh_uy", "dang_uy_khoi"),
    ("dang_uy_khoi", "ubkt_tinh_uy"),
]


def event(prefix: str, i: int) -> dict[str, Any]:
    """Request number ``i`` of a stream: three pairs of bodies, dates through March 2025."""
    rq, rd = PAIRS[i % len(PAIRS)]
    day = f"2025-03-{1 + i % 28:02d}"
    return request(f"{prefix}-{i}", day, requester=rq, requested=rd)
