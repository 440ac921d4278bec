"""The catalogues: ``locale/<lang>/LC_MESSAGES/quyche.po`` read by Babel, once per process.

Compiling in memory (not shipping ``.mo`` files) keeps one source of truth: what the tests
check is exactly what runs. Reading two small ``.po`` files costs a few milliseconds, once.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

from babel.messages.pofile import read_po

DOMAIN = "quyche"


def po_path(lang: str) -> resources.abc.Traversable:
    return resources.files("quyche_rules.i18n").joinpath(
        "locale", lang, "LC_MESSAGES", f"{DOMAIN}.po"
    )


@cache
def messages(lang: str) -> dict[str, str]:
    """msgid → translated text for ``lang`` (entries left empty or fuzzy are left out)."""
    path = po_path(lang)
    if not path.is_file():
        return {}
    with path.open("rb") as f:
        catalog = read_po(f, locale=lang, domain=DOMAIN)
    return {
        str(m.id): str(m.string)
        for m in catalog
        if m.id and isinstance(m.id, str) and m.string and not m.fuzzy
    }
