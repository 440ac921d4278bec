"""The regulation's own structure, parsed from its text.

The tests and the loader check every rule against this parse, not against a hand-made list,
so a clause that nobody encoded cannot go unnoticed. The file is a conversion of a printed
document: headings carry Markdown marks and a few sentences are cut by page breaks (Art. 1.1,
13.4, 16.1), so a paragraph that does not open a clause or a point continues the previous one,
and every comparison is made on NFC text with whitespace collapsed.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from . import resources
from .yamlio import RULE_FILE_LIMITS, decode, read_bounded

#: The packaged text (``load_regulation()`` follows ``$QUYCHE_RULES_DIR`` when set).
SOURCE_FILE = resources.packaged_rules_dir() / resources.SOURCE

_ARTICLE = re.compile(r"^#*\s*\**\s*Điều\s+(\d+)\.\s*(.*?)\**\s*$")
_CLAUSE = re.compile(r"^(\d+)\.\s+(.*)$")
_POINT = re.compile(r"^([a-zđ])\)\s+(.*)$")
_HEADING = re.compile(r"^#+\s|^\*\*.*\*\*$|^-{3,}$")
_SPACE = re.compile(r"\s+")


def normalize(text: str) -> str:
    """NFC with whitespace collapsed: the form in which quotes are compared with the text."""
    return _SPACE.sub(" ", unicodedata.normalize("NFC", text)).strip()


def fold(text: str) -> str:
    """Diacritic- and case-insensitive key ("Ban Tổ chức" → "ban to chuc")."""
    decomposed = unicodedata.normalize("NFD", normalize(text).replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


@dataclass(frozen=True)
class Basis:
    """Where a duty comes from: article, clause (khoản) and lettered point (điểm).

    Ordered as the text is: an article before its clauses, a clause before its points."""

    article: int
    clause: int | None = None
    point: str | None = None

    def sort_key(self) -> tuple[int, int, str]:
        return (self.article, self.clause or 0, self.point or "")

    def __lt__(self, other: Basis) -> bool:
        return self.sort_key() < other.sort_key()

    @property
    def anchor(self) -> str:
        """The stable fragment other systems link to: ``dieu-5``, ``dieu-5-2``,
        ``dieu-5-2-a`` (the pages' ids, the service's clause look-up). Ids stay ASCII: the
        point letter ``đ`` is written ``dd`` (as Vietnamese keyboards do), never ``d``,
        which is another point."""
        parts = [f"dieu-{self.article}"]
        if self.clause is not None:
            parts.append(str(self.clause))
        if self.point is not None:
            parts.append(self.point.replace("đ", "dd"))
        return "-".join(parts)

    def __str__(self) -> str:
        out = f"Điều {self.article}"
        if self.clause is not None:
            out += f".{self.clause}"
        if self.point is not None:
            out += f".{self.point}"
        return out


@dataclass
class Unit:
    """One citable piece of the text: an article without clauses, a clause's own words
    (its chapeau, when it has points) or a point."""

    basis: Basis
    text: str
    has_points: bool = False


@dataclass
class Regulation:
    """The parsed text: article titles and every citable unit, in document order."""

    raw: str
    titles: dict[int, str] = field(default_factory=dict)
    units: dict[Basis, Unit] = field(default_factory=dict)

    def unit(self, basis: Basis) -> Unit | None:
        return self.units.get(basis)

    def contains(self, basis: Basis, quote: str) -> bool:
        unit = self.units.get(basis)
        return unit is not None and normalize(quote) in unit.text


def parse(raw: str) -> Regulation:
    """Split the regulation into articles, clauses and points.

    The body of the text runs from "Điều 1." to the end of Article 18; the list of
    recipients after it ("Nơi nhận") is not part of any article.
    """
    reg = Regulation(raw=raw)
    article: int | None = None
    clause: int | None = None
    current: Basis | None = None
    paragraphs = [p.strip() for p in unicodedata.normalize("NFC", raw).split("\n")]
    for para in paragraphs:
        if not para:
            continue
        m = _ARTICLE.match(para)
        if m:
            article, clause = int(m.group(1)), None
            reg.titles[article] = normalize(m.group(2).strip("* "))
            current = Basis(article)
            continue
        if article is None:
            continue
        if "Nơi nhận" in para:
            break
        if _HEADING.match(para):
            current = None if para.startswith(("#", "**")) else current
            continue
        m = _CLAUSE.match(para)
        if m:
            clause = int(m.group(1))
            current = Basis(article, clause)
            reg.units[current] = Unit(current, normalize(m.group(2)))
            continue
        m = _POINT.match(para)
        if m and clause is not None:
            current = Basis(article, clause, m.group(1))
            reg.units[Basis(article, clause)].has_points = True
            reg.units[current] = Unit(current, normalize(m.group(2)))
            continue
        if current is None:
            current = Basis(article)
        unit = reg.units.get(current)
        if unit is None:
            reg.units[current] = Unit(current, normalize(para))
        else:  # a page break cut the sentence: the paragraph continues the unit
            unit.text = normalize(unit.text + " " + para)
    return reg


def load_regulation(path: Path | None = None) -> Regulation:
    path = path if path is not None else resources.rules_file(resources.SOURCE)
    data = read_bounded(path, file=path.name, limits=RULE_FILE_LIMITS)
    return parse(decode(data, file=path.name))
