"""Provincial profiles made from ``profiles/dak-lak.yaml`` for tests and benchmarks: the
same structure, every body renamed (id, names and aliases carry the province's number), so
that a body of one generated province exists in no other."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "profiles" / "dak-lak.yaml"


def body_id(n: int, base: str) -> str:
    """The id ``base`` of Đắk Lắk's profile has in generated province ``n``."""
    return f"{base}_t{n:02d}"


def body_name(n: int, base_name: str) -> str:
    return f"{base_name} T{n:02d}"


def province(n: int) -> str:
    return f"Tỉnh thử {n:02d}"


def write_provinces(folder: Path, count: int) -> list[Path]:
    """``count`` profiles ``t01.yaml``… in ``folder`` (made if missing); their paths."""
    src: dict[str, Any] = yaml.safe_load(SOURCE.read_text(encoding="utf-8"))
    ids = {b["id"] for b in src["bodies"]}
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for n in range(1, count + 1):
        data = dict(src, province=province(n))

        def ren(value: Any, n: int = n) -> Any:
            return body_id(n, value) if isinstance(value, str) and value in ids else value

        bodies = []
        for b in src["bodies"]:
            b = dict(b)
            b["id"] = ren(b["id"])
            b["name_vi"] = body_name(n, b["name_vi"])
            b["name_en"] = f"{b['name_en']} P{n:02d}"
            b["aliases"] = [body_name(n, a) for a in b.get("aliases", [])]
            for field in ("acts_for", "agency", "succeeded_by"):
                if b.get(field):
                    b[field] = ren(b[field])
            b["member_of"] = [ren(m) for m in b.get("member_of", [])]
            bodies.append(b)
        data["bodies"] = bodies
        path = folder / f"t{n:02d}.yaml"
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
        out.append(path)
    return out
