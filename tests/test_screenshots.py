"""The guides' screenshots are the ones ``scripts/screenshots.py`` writes: every view, in
Vietnamese at desktop and phone width and in English at desktop width, all committed and
all linked from ``docs/guide-clerks.md`` (README links the guide). Regenerating them is
the script's job (it starts the live service and Chromium; about a minute)."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]
SHOTS = ROOT / "artifacts" / "screenshots"


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "screenshots", ROOT / "scripts" / "screenshots.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_screenshot_is_there_and_linked_from_the_clerks_guide() -> None:
    names = _script().names()
    assert len(names) == 18  # 6 views x (vi desktop, vi phone, en desktop)
    for name in names:
        data = (SHOTS / name).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n", name
    guide = (ROOT / "docs" / "guide-clerks.md").read_text(encoding="utf-8")
    linked = set(re.findall(r"\.\./artifacts/screenshots/(view-[\w-]+\.png)", guide))
    assert linked == set(names)
    assert "docs/guide-clerks.md#screenshots" in (ROOT / "README.md").read_text(encoding="utf-8")
