"""Render the pages: the literate view, the bodies, a body's duties, the Ask form.

Each ``render_*`` function returns one HTML page as a string, so the same code writes the
static site (``write_site``, used by ``quyche render --html``) and answers the HTTP service's
page routes (which pass ``links=SERVED`` and mount ``STATIC_DIR`` at ``/static/``).
Templates are Jinja2 files in ``templates/`` with autoescaping on: rule text, notes and
party names are data and never become markup.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jinja2

from ..engine import Engine
from .form import event_forms
from .phrases import Phrase, Phrasebook, default_phrasebook
from .views import TRIGGER_KINDS, Links, TriggerKind, ViewBuilder

PACKAGE_DIR = Path(__file__).resolve().parent
TEMPLATES_DIR = PACKAGE_DIR / "templates"
STATIC_DIR = PACKAGE_DIR / "static"


@dataclass(frozen=True)
class _Stats:
    rules: int
    units: int


@cache
def _env() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=jinja2.select_autoescape(["html"]),
        undefined=jinja2.StrictUndefined,  # a misspelt name in a template is an error
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _page(template: str, engine: Engine, links: Links, **context: Any) -> str:
    stats = _Stats(len(engine.rulebook.rules), len(engine.rulebook.regulation.units))
    context.setdefault("ask_href", None)
    return _env().get_template(template).render(links=links, stats=stats, **context)


def _group_names(phrases: Phrasebook) -> dict[TriggerKind, Phrase]:
    return {k: phrases.template(f"group_{k}") for k in TRIGGER_KINDS}


def render_literate(
    engine: Engine,
    *,
    links: Links | None = None,
    phrases: Phrasebook | None = None,
    ask_href: str | None = None,
) -> str:
    """The regulation article by article, each clause and point with its rules beside it."""
    links = links or Links()
    builder = ViewBuilder(engine, phrases or default_phrasebook(), links)
    return _page(
        "literate.html",
        engine,
        links,
        page="literate",
        articles=builder.articles(),
        ask_href=ask_href,
    )


def render_bodies(
    engine: Engine,
    *,
    links: Links | None = None,
    phrases: Phrasebook | None = None,
    ask_href: str | None = None,
) -> str:
    """The index of every party of the registry, each linked to its duties page."""
    links = links or Links()
    builder = ViewBuilder(engine, phrases or default_phrasebook(), links)
    return _page(
        "bodies.html", engine, links, page="bodies", entries=builder.body_index(), ask_href=ask_href
    )


def render_body(
    engine: Engine,
    party: str,
    *,
    links: Links | None = None,
    phrases: Phrasebook | None = None,
    ask_href: str | None = None,
) -> str:
    """All duties of one party (``Engine.duties_of``), grouped standing / periodic / event.

    ``party`` is an id or a name; an unknown one raises ``KeyError`` (the service answers
    404)."""
    links = links or Links()
    phrases = phrases or default_phrasebook()
    builder = ViewBuilder(engine, phrases, links)
    return _page(
        "body.html",
        engine,
        links,
        page="bodies",
        body=builder.body(party),
        group_names=_group_names(phrases),
        ask_href=ask_href,
    )


def render_ask_form(
    engine: Engine,
    *,
    notify_url: str = "/v1/notify",
    links: Links | None = None,
    phrases: Phrasebook | None = None,
    selected: str = "coordination_requested",
    ask_href: str | None = None,
) -> str:
    """The Ask page: a form generated from the events' JSON Schema that posts the event as
    JSON to ``notify_url`` (with ``fetch``) and shows obligations, due dates and the
    receipt. It needs the HTTP service; the static site does not include it."""
    links = links or Links()
    phrases = phrases or default_phrasebook()
    return _page(
        "ask.html",
        engine,
        links,
        page="ask",
        forms=event_forms(phrases, engine.rulebook.parties),
        notify_url=notify_url,
        selected=selected,
        ask_href=ask_href,
    )


def site_pages(engine: Engine, phrases: Phrasebook | None = None) -> Iterator[tuple[str, str]]:
    """(relative path, HTML) of every page of the static site, links relative to the file."""
    phrases = phrases or default_phrasebook()
    yield "index.html", render_literate(engine, links=Links(""), phrases=phrases)
    yield "bodies/index.html", render_bodies(engine, links=Links("../"), phrases=phrases)
    for p in engine.rulebook.parties:
        yield (
            f"bodies/{p.id}.html",
            render_body(engine, p.id, links=Links("../"), phrases=phrases),
        )


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
