"""Pages for people who read the text, not YAML: the regulation beside its rules.

``render_*`` return HTML strings (for the static site and for the HTTP service);
``write_site`` writes the static site that ``quyche render --html DIR`` produces.

Mounting in the HTTP service (FastAPI), with ``links=SERVED`` so links are absolute::

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    GET /               -> render_literate(engine, links=SERVED, ask_href="/ask")
    GET /bodies/        -> render_bodies(engine, links=SERVED, ask_href="/ask")
    GET /bodies/{party} -> render_body(engine, party, links=SERVED, ask_href="/ask")
                           (KeyError for an unknown party: answer 404)
    GET /ask            -> render_ask_form(engine, links=SERVED, notify_url="/v1/notify",
                                           ask_href="/ask")

The pages depend only on the engine's rulebook, so they can be rendered once per engine
and cached. The Ask page posts the event as JSON to ``notify_url`` with ``Authorization:
Bearer KEY`` when a key is typed, and reads either a list of obligations or
``{"obligations": [...], "receipt": {...}}``; an error answer shows ``detail``.
"""

from .render import (
    STATIC_DIR,
    render_ask_form,
    render_bodies,
    render_body,
    render_literate,
    site_pages,
    write_site,
)
from .views import SERVED, Links, anchor

__all__ = [
    "SERVED",
    "STATIC_DIR",
    "Links",
    "anchor",
    "render_ask_form",
    "render_bodies",
    "render_body",
    "render_literate",
    "site_pages",
    "write_site",
]
