"""Render the pages: the literate view, the bodies, a body's duties, the Ask form.

Each method of ``Pages`` returns one HTML page as a string, so the same code writes the
static site (``write_site``, used by ``quyche render --html``) and answers the HTTP service's
page routes (which pass ``links=SERVED`` and mount ``STATIC_DIR`` at ``/static/``).
Templates are Jinja2 files in ``templates/`` with autoescaping on: rule text, notes and
party names are data and never become markup.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from quyche_rules.engine.engine import Engine
from quyche_rules.model.vocabulary import DUTIES
from quyche_rules.pages.form import Option, event_forms
from quyche_rules.pages.langspans import mark_vietnamese
from quyche_rules.pages.phrases import Phrase, Phrasebook, default_phrasebook
from quyche_rules.pages.views import TRIGGER_KINDS, Links, ViewBuilder, basis_en

PACKAGE_DIR = Path(__file__).resolve().parent
TEMPLATES_DIR = PACKAGE_DIR / "templates"
STATIC_DIR = PACKAGE_DIR / "static"

#: the groups of the tracker's status (``status_to_json``), in the order of the morning view
MORNING_GROUPS: tuple[tuple[str, Phrase], ...] = (
    ("owes", Phrase("Phải trả lời", "To answer")),
    ("due_soon", Phrase("Sắp đến hạn", "Due soon")),
    ("overdue", Phrase("Quá hạn", "Overdue")),
    ("owed_to", Phrase("Chờ cơ quan khác trả lời", "Awaiting others")),
    ("consent", Phrase("Quá hạn không phản hồi: xem là đồng ý", "Silence taken as consent")),
    ("escalated", Phrase("Không thống nhất, báo cáo cấp trên", "Escalated")),
)


@cache
def _env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=jinja2.select_autoescape(["html"]),
        undefined=jinja2.StrictUndefined,  # a misspelt name in a template is an error
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["mark_vi"] = mark_vietnamese
    return env


def _footer(content_hash: str) -> dict[str, str]:
    """Which rulebook produced a page, for a reader holding a printout: its hash, the
    package version and the day the page was generated (dd/mm/yyyy, Vietnam time)."""
    from quyche_rules import __version__
    from quyche_rules.i18n import format_date

    today = dt.datetime.now(dt.timezone(dt.timedelta(hours=7))).date()
    return {"hash": content_hash[:16], "version": __version__, "date": format_date(today)}


@dataclass(frozen=True)
class Pages:
    """The pages of one engine's rulebook.

    ``links`` says where pages live (``Links("")`` for static files, ``SERVED`` for the HTTP
    service); ``ask_href`` and ``morning_href``, when set, add the Ask page and the morning
    view (both need the service) to the navigation."""

    engine: Engine
    links: Links = field(default_factory=Links)
    phrases: Phrasebook = field(default_factory=default_phrasebook)
    ask_href: str | None = None
    morning_href: str | None = None
    #: the language shown first (``vi`` or ``en``); the other stays behind the switch
    lang: str = "vi"
    #: answered by the HTTP service, which chose ``lang`` and remembers the switch in a
    #: cookie (the static site remembers it in the browser's storage instead)
    served: bool = False

    def _pick(self, vi: str, en: str) -> str:
        """Where an element can hold one language only (an option, a title, a label)."""
        return en if self.lang == "en" else vi

    def _label(self, vi: str, en: str) -> Markup:
        """An ``aria-label`` in the page's language, with both for the switch to swap."""
        return Markup('aria-label="{}" data-label-vi="{}" data-label-en="{}"').format(
            self._pick(vi, en), vi, en
        )

    def _render(self, template: str, page: str, **context: Any) -> str:
        book = self.engine.rulebook
        return (
            _env()
            .get_template(template)
            .render(
                lang=self.lang,
                served=self.served,
                pick=self._pick,
                label=self._label,
                links=self.links,
                stats={"rules": len(book.rules), "units": len(book.regulation.units)},
                footer=_footer(book.content_hash),
                page=page,
                ask_href=self.ask_href,
                morning_href=self.morning_href,
                # the province whose bodies the page names (a profile's), shown in the header
                province=self.engine.profile.province if self.engine.profile else None,
                **context,
            )
        )

    @property
    def _views(self) -> ViewBuilder:
        return ViewBuilder(self.engine, self.phrases, self.links)

    def literate(self) -> str:
        """The regulation article by article, each clause and point with its rules beside
        it, or the reason it has none."""
        articles = self._views.articles()
        used = sorted({p for a in articles for u in a.units for r in u.rules for p in r.party_ids})
        parties = self.engine.parties.parties
        filters = {
            "bodies": [Option(p, Phrase(parties[p].name_vi, parties[p].name_en)) for p in used],
            "duties": [Option(d.value, Phrase(vi, en)) for d, (vi, en, _) in DUTIES.items()],
        }
        return self._render("literate.html", "literate", articles=articles, filters=filters)

    def article(self, number: int) -> str:
        """One Article, as in the literate view, on a page of its own: what a jurist prints
        to read one Article with its rules. An unknown number raises ``KeyError``."""
        found = [a for a in self._views.articles() if a.number == number]
        if not found:
            raise KeyError(number)
        return self._render("article.html", "literate", article=found[0])

    def bodies(self) -> str:
        """The index of every party of the registry, each linked to its duties page."""
        return self._render("bodies.html", "bodies", entries=self._views.body_index())

    def body(self, party: str) -> str:
        """All duties of one party (``Engine.duties_of``), grouped standing / periodic /
        event. ``party`` is an id or a name; an unknown one raises ``KeyError`` (the
        service answers 404)."""
        groups = {k: self.phrases.template(f"group_{k}") for k in TRIGGER_KINDS}
        return self._render("body.html", "bodies", body=self._views.body(party), group_names=groups)

    def ask_form(
        self, *, notify_url: str = "/v1/notify", selected: str = "coordination_requested"
    ) -> str:
        """The Ask page: a form generated from the events' JSON Schema that posts the event
        as JSON to ``notify_url`` (with ``fetch``) and shows obligations, due dates and the
        receipt. It needs the HTTP service; the static site does not include it."""
        return self._render(
            "ask.html",
            "ask",
            forms=event_forms(self.phrases, self.engine.parties),
            duties={d.value: en for d, (_vi, en, _) in DUTIES.items()},
            notify_url=notify_url,
            selected=selected,
        )

    def morning(
        self,
        *,
        status_url: str = "/v1/track/status",
        ics_url: str = "/v1/track/ics",
        track_url: str = "/v1/track",
    ) -> str:
        """The tracker's morning view: the body's key typed in, the page asks ``status_url``
        (the JSON of ``quyche track status --json``) and shows every group, each case with
        its clause and dates, and offers ``ics_url`` (fetched with the same key).

        Cases carry party and rule ids only; the names and clause links they are shown with
        come from this engine (its registry in force and its rulebook), sent with the page."""
        from quyche_rules.tracker.model import STATE_VI

        rules = {
            r.id: {
                "label": str(r.basis),
                "label_en": basis_en(r.basis),
                "href": self.links.to_literate(r.basis),
            }
            for r in self.engine.rulebook
        }
        parties = {p.id: {"vi": p.name_vi, "en": p.name_en} for p in self.engine.parties}
        states = {
            s.value: {"vi": vi, "en": s.value.replace("_", " ")} for s, vi in STATE_VI.items()
        }
        options = [Option(p.id, Phrase(p.name_vi, p.name_en)) for p in self.engine.parties]
        return self._render(
            "morning.html",
            "morning",
            lookup={"parties": parties, "rules": rules, "states": states},
            parties=options,
            groups=[{"key": k, "label": label} for k, label in MORNING_GROUPS],
            status_url=status_url,
            ics_url=ics_url,
            track_url=track_url,
        )


def site_pages(engine: Engine, phrases: Phrasebook | None = None) -> Iterator[tuple[str, str]]:
    """(relative path, HTML) of every page of the static site, links relative to the file."""
    phrases = phrases or default_phrasebook()
    top, below = Pages(engine, Links(""), phrases), Pages(engine, Links("../"), phrases)
    yield "index.html", top.literate()
    yield "bodies/index.html", below.bodies()
    for p in engine.parties:
        yield f"bodies/{p.id}.html", below.body(p.id)
    for number in sorted(engine.rulebook.regulation.titles):
        yield f"articles/{number}.html", below.article(number)


def write_site(engine: Engine, out_dir: Path) -> list[Path]:
    """Write the static site into ``out_dir`` (created if needed) and return the files.

    Readable straight from disk (``index.html``, relative links); files of an earlier run
    are overwritten, other files in the directory are left alone."""
    written: list[Path] = []
    for rel, html in site_pages(engine):
        path = out_dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(html, encoding="utf-8")
        written.append(path)
    static_out = out_dir / "static"
    static_out.mkdir(parents=True, exist_ok=True)
    for src in sorted(STATIC_DIR.iterdir()):
        if src.is_file():
            shutil.copyfile(src, static_out / src.name)
            written.append(static_out / src.name)
    return written


def error_page(status: int, title: str, message: str, back: str, lang: str) -> str:
    """A 404 or 500 page for a person (the service's ``/v1/`` keeps answering JSON)."""
    return (
        _env()
        .get_template("error.html")
        .render(status=status, title=title, message=message, back=back, lang=lang)
    )
