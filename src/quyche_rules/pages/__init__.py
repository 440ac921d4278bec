"""Pages for people who read the text, not YAML: the regulation beside its rules.

May import: tracker, engine and the layers below them (never the service that serves them).

``Pages`` renders each page as an HTML string (for the static site and for the HTTP
service); ``write_site`` writes the static site that ``quyche render --html DIR`` produces.

Served by the HTTP service through ``service/routers/pages.py`` (installed by
``create_app``), with ``links=SERVED`` so links are absolute::

    pages = Pages(engine, links=SERVED, ask_href="/ask", morning_href="/morning")
    GET /               -> pages.literate()
    GET /bodies/        -> pages.bodies()
    GET /bodies/{party} -> pages.body(party)     (KeyError for an unknown party: answer 404)
    GET /ask            -> pages.ask_form(notify_url="/v1/notify")
    GET /morning        -> pages.morning(status_url="/v1/track/status", ics_url="/v1/track/ics")
    GET /static/{name}  -> the files of STATIC_DIR

Parties come from ``engine.parties``: the registry in force, a profile's bodies included.
The pages depend only on the engine (rulebook and registry), so they can be rendered once per engine
and cached. The Ask page posts the event as JSON to ``notify_url`` with ``Authorization:
Bearer KEY`` when a key is typed, and reads either a list of obligations or
``{"obligations": [...], "receipt": {...}}``; an error answer shows ``detail``. The
morning view sends the key the same way and reads ``quyche track status --json``'s JSON.
"""

from typing import TYPE_CHECKING

from quyche_rules._lazy import exports

if TYPE_CHECKING:
    from quyche_rules.pages.render import STATIC_DIR, Pages, site_pages, write_site
    from quyche_rules.pages.views import SERVED, Links, anchor

# on first use: the phrases (``pages.phrases``) serve the command line too, which must not
# need Jinja2 (the ``[pages]`` extra) to print a trigger as a sentence
__getattr__ = exports(
    __name__,
    {
        "STATIC_DIR": "quyche_rules.pages.render",
        "Pages": "quyche_rules.pages.render",
        "site_pages": "quyche_rules.pages.render",
        "write_site": "quyche_rules.pages.render",
        "SERVED": "quyche_rules.pages.views",
        "Links": "quyche_rules.pages.views",
        "anchor": "quyche_rules.pages.views",
    },
)

__all__ = [
    "SERVED",
    "STATIC_DIR",
    "Links",
    "Pages",
    "anchor",
    "site_pages",
    "write_site",
]
