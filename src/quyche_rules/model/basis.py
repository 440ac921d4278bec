"""Where a duty comes from in the text: article, clause and point, in the text's order."""

from __future__ import annotations

from dataclasses import dataclass


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
