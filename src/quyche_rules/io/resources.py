"""The one place that finds the data shipped with the package.

``rules/`` and ``profiles/`` stay at the repository root (data apart from logic) and are
mapped by ``pyproject.toml`` onto the data packages ``quyche_rules._rules`` and
``quyche_rules._profiles``. They are found through :mod:`importlib.resources`, never
through ``__file__``: the same code then works in an editable install, where the packages
point at the checkout, and from a wheel installed anywhere. A path relative to the source
file found a planted ``lib/python3.X/rules`` (or nothing) once installed.

Another rulebook is chosen explicitly, in this order: an argument (``Engine(rules_dir=)``,
``load_rulebook(rules_dir)``, ``--rules-dir``), then the ``QUYCHE_RULES_DIR`` environment
variable, then the packaged one. The package must be installed on a file system (pip always
does); a zipped install is refused with one line rather than half-working.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

from quyche_rules.errors import RulebookError

#: Environment variable naming a rules directory to use instead of the packaged one.
ENV_RULES_DIR = "QUYCHE_RULES_DIR"

#: Paths inside a rules directory (relative, ``/``-separated): the contract of its layout.
SOURCE = "source/quy-che-phoi-hop.md"
PARTIES = "parties.yaml"
DEADLINES = "deadlines.yaml"
ARTICLES = "articles"
CALENDAR = "calendar/vn-civil-service.yaml"


def _package_dir(package: str) -> Path:
    root = resources.files(package)
    if not isinstance(root, Path) or not root.is_dir():
        raise RulebookError(f"package data is not on a file system: {root}", file=package)
    return root


def packaged_rules_dir() -> Path:
    """The rules directory shipped with the package (the checkout's ``rules/`` when
    installed in editable mode)."""
    return _package_dir("quyche_rules._rules")


def packaged_profiles_dir() -> Path:
    """The deployment profiles shipped with the package (``profiles/``)."""
    return _package_dir("quyche_rules._profiles")


def packaged_profiles() -> dict[str, Path]:
    """The shipped profiles by name (``dak-lak`` for ``dak-lak.yaml``), sorted: the names
    ``--profile``, ``Engine(profile=)`` and ``QUYCHE_PROFILE`` accept besides a path."""
    files = sorted(packaged_profiles_dir().glob("*.yaml"))
    return {f.stem: f for f in files if f.is_file()}


def rules_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The rules directory to use: ``explicit``, else ``$QUYCHE_RULES_DIR``, else the
    packaged one. A chosen directory that does not exist is refused here, with its name,
    rather than as a missing file deep in the loader."""
    if explicit is not None:
        if not isinstance(explicit, str | os.PathLike):
            raise RulebookError("rules_dir must be a path (str or os.PathLike)")
        return _existing(Path(explicit), "rules_dir")
    env = os.environ.get(ENV_RULES_DIR)
    if env:
        return _existing(Path(env), ENV_RULES_DIR)
    return packaged_rules_dir()


def _existing(path: Path, what: str) -> Path:
    if not path.is_dir():
        raise RulebookError(f"{what}: not a directory", file=str(path))
    return path


def rules_file(relative: str, directory: Path | None = None) -> Path:
    """A file of the chosen (or given) rules directory, by its relative name."""
    return (directory if directory is not None else rules_dir()) / relative
