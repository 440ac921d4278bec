"""Text normal forms: NFC with collapsed spaces (how quotes are compared with the text) and a
diacritic- and case-free key (how names are looked up).

The lowest layer owns them because names (model), quotes (rulebook) and readers all compare
text the same way.
"""

from __future__ import annotations

import re
import unicodedata

_SPACE = re.compile(r"\s+")


def normalize(text: str) -> str:
    """NFC with whitespace collapsed: the form in which quotes are compared with the text."""
    return _SPACE.sub(" ", unicodedata.normalize("NFC", text)).strip()


def fold(text: str) -> str:
    """Diacritic- and case-insensitive key ("Ban Tổ chức" → "ban to chuc")."""
    decomposed = unicodedata.normalize("NFD", normalize(text).replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
