"""The program's own words in Vietnamese (the default) and English, through gettext
catalogues read by Babel.

Message ids are the English text; ``locale/<lang>/LC_MESSAGES/quyche.po`` gives each
language's text. The ``.po`` files are the only source: they are compiled in memory by Babel
when first used (``catalog.py``), so there is no ``.mo`` binary to rebuild, commit or forget,
and a wheel built anywhere carries the same words. ``tests/test_i18n.py`` extracts every
``_()`` call of the package with Babel's extractor and fails when one has no Vietnamese entry.

The language is a context variable: the CLI sets it once from ``--lang`` / ``$QUYCHE_LANG``,
the HTTP service per request from ``Accept-Language``. The library itself, called from
Python, speaks English unless told otherwise, so systems that match on error text keep
working; everything a person reads (CLI, pages, service) chooses Vietnamese by default.
"""

from __future__ import annotations

import datetime as dt
import os
from contextvars import ContextVar

from quyche_rules.i18n.catalog import messages

#: the languages with a catalogue, Vietnamese first
LANGS: tuple[str, ...] = ("vi", "en")
#: the language of everything a person reads, unless asked otherwise
DEFAULT_LANG = "vi"
#: the environment variable the CLI reads (``--lang`` wins over it)
LANG_ENV = "QUYCHE_LANG"

_current: ContextVar[str] = ContextVar("quyche_lang", default="en")


def set_language(lang: str) -> str:
    """Use ``lang`` from now on in this context; an unknown code falls back to Vietnamese."""
    chosen = lang if lang in LANGS else DEFAULT_LANG
    _current.set(chosen)
    return chosen


def language() -> str:
    return _current.get()


def from_env(option: str | None = None) -> str:
    """The CLI's language: ``--lang``, else ``$QUYCHE_LANG``, else Vietnamese."""
    return set_language((option or os.environ.get(LANG_ENV, "")).strip().lower() or DEFAULT_LANG)


def negotiate(accept_language: str | None) -> str:
    """The language an ``Accept-Language`` header prefers among ours (RFC 9110 q-values);
    Vietnamese when it names none of them."""
    best, best_q = DEFAULT_LANG, -1.0
    for i, part in enumerate((accept_language or "").split(",")[:20]):
        tag, _sep, params = part.strip().partition(";")
        code = tag.strip().lower().split("-")[0]
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        if code in LANGS and q > 0 and q - i * 1e-6 > best_q:
            best, best_q = code, q - i * 1e-6
    return best


def _(message: str, /, **values: object) -> str:
    """``message`` in the current language, with ``{placeholders}`` filled in."""
    text = messages(language()).get(message) or message
    return text.format(**values) if values else text


def N_(message: str, /) -> str:
    """Marks a message for the catalogue where it is defined; translated where shown."""
    return message


def format_date(d: dt.date | None) -> str:
    """A date as people read it here: dd/mm/yyyy (JSON keeps ISO 8601)."""
    return "" if d is None else d.strftime("%d/%m/%Y")


__all__ = [
    "DEFAULT_LANG",
    "LANGS",
    "LANG_ENV",
    "N_",
    "_",
    "format_date",
    "from_env",
    "language",
    "negotiate",
    "set_language",
]
