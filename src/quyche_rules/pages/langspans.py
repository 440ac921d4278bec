"""Vietnamese words inside English text, marked as Vietnamese (``<span lang="vi">``).

The English notes and summaries name bodies by their official names ("Đảng ủy Khối") and
quote the regulation ("quá thời hạn theo văn bản đề nghị"). Marking those words lets a
screen reader pronounce them in Vietnamese and lets the pages' language check tell a quoted
Vietnamese name from a Vietnamese sentence left in the English view.

What is marked: a quoted passage ("…") holding a Vietnamese letter, and a run of words
joined by single spaces that are Vietnamese-lettered or capitalised ("Ban Tổ chức Tỉnh
ủy"), holding at least one Vietnamese letter, without the English words that may open it
("When Đảng ủy Khối" marks "Đảng ủy Khối").
"""

from __future__ import annotations

import re

from markupsafe import Markup, escape

#: the letters only Vietnamese writes (every vowel with a tone or a hat, and đ)
VIETNAMESE_LETTERS = "àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ"
_VI = re.compile(f"[{VIETNAMESE_LETTERS}{VIETNAMESE_LETTERS.upper()}]")
_QUOTED = re.compile(r"([\"“])([^\"”]+)([\"”])")
_WORD = r"[^\W\d_]+"
_RUN = re.compile(rf"{_WORD}(?: {_WORD})*")
#: English words a capitalised run may start with ("When", "The"): never part of a name
_OPENERS = frozenset(
    re.findall(r"\w+", "when the on once if for from with by as at in of to and or a an")
)


def _vi_word(word: str) -> bool:
    return _VI.search(word) is not None


def _mark_run(run: str) -> str:
    """One run of words: the Vietnamese name in it, marked; the rest escaped."""
    words = run.split(" ")
    out: list[str] = []
    group: list[str] = []

    def flush() -> None:
        while group and not _vi_word(group[0]) and group[0].lower() in _OPENERS:
            out.append(str(escape(group.pop(0))))
        tail: list[str] = []
        while group and not _vi_word(group[-1]) and not group[-1][:1].isupper():
            tail.insert(0, str(escape(group.pop())))
        if group and any(_vi_word(w) for w in group):
            out.append(f'<span lang="vi">{escape(" ".join(group))}</span>')
        else:
            out.extend(str(escape(w)) for w in group)
        out.extend(tail)
        group.clear()

    for w in words:
        if _vi_word(w) or w[:1].isupper():
            group.append(w)
        else:
            flush()
            out.append(str(escape(w)))
    flush()
    return " ".join(out)


def _mark_plain(text: str) -> str:
    out: list[str] = []
    last = 0
    for m in _RUN.finditer(text):
        out.append(str(escape(text[last : m.start()])))
        out.append(_mark_run(m.group()) if _VI.search(m.group()) else str(escape(m.group())))
        last = m.end()
    out.append(str(escape(text[last:])))
    return "".join(out)


def mark_vietnamese(text: str | None) -> Markup:
    """``text`` escaped, its Vietnamese names and quotations wrapped in ``lang="vi"``."""
    if not text:
        return Markup("")
    if _VI.search(text) is None:
        return Markup(escape(text))
    out: list[str] = []
    last = 0
    for m in _QUOTED.finditer(text):
        out.append(_mark_plain(text[last : m.start()]))
        inner = m.group(2)
        if _VI.search(inner):
            body = f'<span lang="vi">{escape(inner)}</span>'
        else:
            body = _mark_plain(inner)
        out.append(f"{escape(m.group(1))}{body}{escape(m.group(3))}")
        last = m.end()
    out.append(_mark_plain(text[last:]))
    return Markup("".join(out))
