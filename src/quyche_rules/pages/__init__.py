"""Pages for people who read the text, not YAML: the regulation beside its rules.

``render_*`` return HTML strings (for the static site and for the HTTP service);
``write_site`` writes the static site that ``quyche render --html DIR`` produces.
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
