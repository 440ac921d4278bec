"""The layers of ARCHITECTURE.md hold: import-linter's contracts (pyproject.toml) pass on the
package, and fail on a copy with an upward import or a circle planted in it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "quyche_rules"
LINT = Path(sys.executable).with_name("lint-imports")
LAYERS = "Layers: every import points down"
CIRCLES = "No import circles"


def _lint(src: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(src)}
    return subprocess.run(
        [str(LINT), "--config", str(ROOT / "pyproject.toml"), "--no-cache"],
        cwd=src,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _copy(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    shutil.copytree(PACKAGE, src / "quyche_rules", ignore=shutil.ignore_patterns("__pycache__"))
    return src


def test_the_package_keeps_its_layers_and_has_no_circle(tmp_path: Path) -> None:
    done = _lint(_copy(tmp_path))
    assert done.returncode == 0, done.stdout[-2000:]
    assert f"{LAYERS} KEPT" in done.stdout
    assert f"{CIRCLES} KEPT" in done.stdout


@pytest.mark.parametrize(
    ("module", "planted", "broken"),
    [
        # the model must not know the engine that uses it
        ("model/basis.py", "from quyche_rules.engine import Engine", LAYERS),
        # io is the floor: a reader that imports the command line is an upward import
        ("io/textnorm.py", "import quyche_rules.cli.main", LAYERS),
        # two command modules importing each other: the circle the old cli.py had
        ("cli/rules.py", "from quyche_rules.cli import duties", CIRCLES),
    ],
)
def test_a_planted_upward_import_or_circle_fails(
    tmp_path: Path, module: str, planted: str, broken: str
) -> None:
    src = _copy(tmp_path)
    target = src / "quyche_rules" / module
    text = target.read_text(encoding="utf-8")
    target.write_text(text + f"\n{planted}  # noqa\n", encoding="utf-8")
    if broken == CIRCLES:  # and the other side of the circle
        other = src / "quyche_rules" / "cli" / "duties.py"
        other.write_text(
            other.read_text(encoding="utf-8") + "\nfrom quyche_rules.cli import rules  # noqa\n",
            encoding="utf-8",
        )
    done = _lint(src)
    assert done.returncode != 0, done.stdout[-2000:]
    assert f"{broken} BROKEN" in done.stdout
