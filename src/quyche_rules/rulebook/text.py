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

from quyche_rules.io import resources
from quyche_rules.io.textnorm import normalize
from quyche_rules.io.yamlio import RULE_FILE_LIMITS, decode, read_bounded
from quyche_rules.model.basis import Basis

#: The packaged text (``load_regulation()`` follows ``$QUYCHE_RULES_DIR`` when set).
SOURCE_FILE = resources.packaged_rules_dir() / resources.SOURCE

_ARTICLE = re.compile(r"^#*\s*\**\s*Điều\s+(\d+)\.\s*(.*?)\**\s*$")
_CLAUSE = re.compile(r"^(\d+)\.\s+(.*)$")
_POINT = re.compile(r"^([a-zđ])\)\s+(.*)$")
_HEADING = re.compile(r"^#+\s|^\*\*.*\*\*$|^-{3,}$")


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
